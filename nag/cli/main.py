"""``nag``: the command line over nag's Python API (Hydra composes the configs)."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

from nag.errors import ConfigError, NagError

USAGE = """usage: nag COMMAND [key=value ...]

commands:
  spaces                      list the search spaces
  bench NAME                  size, metrics, best arch and quantiles of a benchmark
  search strategy=re bench=nb201-cifar10 budget=200 [metric=... seed=... out=FILE.json options.population=...]
  search strategy=re oracle=train space=nb201 data=digits epochs=2 budget=20 [table=FILE.csv
          executor=process|serial|ray workers=N address=... model.C=8 train.lr=...]   train every candidate
  sample [space=nb201 n=16 seed=0 guidance=none|predictor|bench metric=accuracy maximize=true scale=...
          predictor=NAME|DIR bench=NAME generator=DIR constraints.params="<=1e6" out=FILE.jsonl
          constraints.latency="<=15" latency_table=lut.json
          condition=nbgraph-cora condition_scale=1]
                              archs from the space's diffusion generator, guided and constrained
  demo [n=16 seed=0]          predictor-guided generator samples next to random archs, with true accuracy
  pretrain [epochs=6 out=DIR]   contrastive pretraining of the graph encoder
  fit bench=nb201-cifar10|TABLE.csv [space=NAME|FILE.yaml] metric=accuracy n_labels=100 [encoder=pretrained|scratch out=DIR]
  finetune ckpt=NAME|DIR bench=NAME|TABLE.csv [space=NAME|FILE.yaml] n_labels=50 [mode=heads|full out=DIR]
  predict ckpt=DIR|NAME archs=FILE [out=FILE.jsonl|.csv]
  export space=nb201 arch="|...|"|best-of:FILE.jsonl out=FILE [format=onnx|torchscript|torch.export
          num_classes=10 resolution=32 C=16 N=5 in_channels=3 in_dim=16 hidden=64 dynamic=true check=true]
                              the arch's network (fresh weights) as a file; onnx is checked in onnxruntime
  draw space=nb201 arch=... out=FILE.png|.svg [level=cell|network]   a picture of the arch's graph
  train-arch space=nb201 arch="|...|"|best-of:FILE.jsonl data=digits|karate|DIR [epochs=5 out=DIR resume=true
          model.C=16 model.N=5 lr=0.05 amp=auto device=auto]  train one arch, save weights + results.json
  latency measure space=mbv3 out=lut.json [runtime=torch|onnxruntime|cuda resolution=224 batch=1 threads=1
          warmup=10 repeats=30 statistic=p25 calibration=5]   time a space's parts here: a latency table
  latency check space=mbv3 table=lut.json [n=100 out=report.json]   the table's sum against whole networks

space= takes a space's name (nag spaces) or a space file (.yaml). Options are Hydra overrides
checked against typed configs (nag/configs, also ./configs)."""

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def compose(command: str, words: list[str]):
    """The command's config with the user's overrides applied (Hydra compose API)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from nag.cli.commands import POSITIONAL
    from nag.cli.config import SCHEMAS, register_schemas
    from nag.cli.overrides import to_overrides
    from nag.cli.validate import check_booleans, check_config

    register_schemas()
    schema = SCHEMAS[command]
    known = [f.name for f in dataclasses.fields(schema)]
    overrides = to_overrides(words, POSITIONAL.get(command, ()))
    open_fields = {f.name for f in dataclasses.fields(SCHEMAS[command]) if f.default_factory is dict}
    for i, override in enumerate(overrides):
        path = override.split("=", 1)[0].lstrip("+~")
        key = path.split(".", 1)[0]
        if key not in known:
            raise ConfigError(f"unknown option {key!r} for 'nag {command}'; options: {', '.join(known) or 'none'}")
        if key in open_fields and "." in path:  # free-form dict (strategy options): add or override
            overrides[i] = "++" + override.lstrip("+~")
    check_booleans(schema, overrides)
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3", job_name="nag"):
            cfg = hydra_compose(config_name=command, overrides=overrides)
            OmegaConf.to_container(cfg, resolve=True)  # a bad ${...} interpolation: fail here, in one line
    except (HydraException, OmegaConfBaseException) as e:
        cause = e.__cause__ if isinstance(e.__cause__, OmegaConfBaseException) else e
        message = next((line.strip() for line in str(cause).splitlines() if line.strip()), type(e).__name__)
        raise ConfigError(f"{message} (in {' '.join(words)})") from None
    check_config(cfg, schema)
    return cfg


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    if not words or words[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    from nag.cli.commands import COMMANDS

    # torch_geometric scripts a few helpers at import time; torch's deprecation notice is noise to a CLI user
    warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*deprecated", category=FutureWarning)
    command, rest = words[0], words[1:]
    if command not in COMMANDS:
        print(f"nag: unknown command {command!r}; choose one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[command](compose(command, rest))
    except NagError as e:
        print(f"nag {command}: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a path the user named that the system refuses (too long, no permission, disk full)
        where = f" ({str(e.filename)[:80]})" if e.filename else ""
        print(f"nag {command}: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nag {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
