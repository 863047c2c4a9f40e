import sys

from nag.cli.main import main

sys.exit(main())
