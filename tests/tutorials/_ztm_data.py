"""Generated stand-ins for the Zero to Mastery course's downloads: the pizza/steak/sushi image
folders (``data/pizza_steak_sushi/{train,test}/<class>/*.jpg``) and ``data/04-pizza-dad.jpeg``."""
import numpy as np
from PIL import Image

CLASSES = {"pizza": (200, 60, 40), "steak": (110, 70, 40), "sushi": (230, 230, 220)}


def make_image_folders(root, n_train=6, n_test=2):
    """data/pizza_steak_sushi/{train,test}/{pizza,steak,sushi}/*.jpg, class = base colour."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("test", n_test)):
        for cls, colour in CLASSES.items():
            d = root / "data" / "pizza_steak_sushi" / split / cls
            d.mkdir(parents=True)
            for i in range(n):
                h, w = rng.integers(70, 110, 2)
                img = np.clip(np.array(colour) + rng.normal(0, 30, (h, w, 3)), 0, 255)
                Image.fromarray(img.astype(np.uint8)).save(d / f"{1000 + i}.jpg", quality=90)
    pizza = np.clip(np.array(CLASSES["pizza"]) + rng.normal(0, 30, (120, 90, 3)), 0, 255)
    Image.fromarray(pizza.astype(np.uint8)).save(root / "data" / "04-pizza-dad.jpeg")
