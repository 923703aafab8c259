"""Datasets (torchvision.datasets): Digits ships with ember; others read torchvision layouts."""
from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.digits import Digits
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.folder import DatasetFolder, ImageFolder
from ember.vision.datasets.mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from ember.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "Digits", "FakeData", "DatasetFolder", "ImageFolder",
           "EMNIST", "MNIST", "KMNIST", "FashionMNIST", "VisionDataset"]
