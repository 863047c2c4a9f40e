"""Training built architectures for real: ``nag.train.train(model, data, config)``.

Data comes without downloads (``load_dataset("digits")``, ``"karate"``, a CIFAR-10
python folder, an ImageFolder) or as tensors (:func:`from_arrays`, :class:`ImageData`).
"""

from nag.train.arch import build_for, example_input, train_arch
from nag.train.config import TrainConfig
from nag.train.data import ImageData, model_kwargs, task_of
from nag.train.datasets import DATASETS, cifar10_folder, digits, from_arrays, image_folder, karate, load_dataset
from nag.train.result import TrainResult
from nag.train.state import load_weights
from nag.train.trainer import evaluate, train

__all__ = ["train", "train_arch", "build_for", "example_input", "evaluate", "TrainConfig", "TrainResult", "ImageData", "load_dataset", "from_arrays", "digits", "karate",
           "cifar10_folder", "image_folder", "DATASETS", "model_kwargs", "task_of", "load_weights"]  # fmt: skip
