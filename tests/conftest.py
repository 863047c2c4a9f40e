"""Shared test set-up: never touch the user's benchmark cache; run torch single-threaded."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache_dir(tmp_path_factory):
    """Point NAG_CACHE_DIR at a fresh directory for the whole test session.

    Converted benchmark tables are written there (and rebuilt once per session), so the
    tests neither read a stale entry from nor write into ``~/.cache/nag``.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("NAG_CACHE_DIR", str(tmp_path_factory.mktemp("nag-cache")))
    yield
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def _single_threaded_torch():
    """The tests run many tiny forward passes; torch's intra-op threads only add overhead
    there, and on a busy small machine they spin against each other (20 NAS-Bench-201
    forward passes took 40 s with 2 threads under load, 0.7 s with 1)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cli(capsys):
    """Run ``nag ARGV...`` in-process: ``cli("bench", "nb201-cifar10") -> (exit code, stdout, stderr)``."""
    from nag.cli.main import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
