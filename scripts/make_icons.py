"""Draw the app's two Teams icons (run once; the PNGs are committed under manifest/).

- color.png: 192x192, full colour: a light bulb with a speech tail on the accent colour.
- outline.png: 32x32, white on transparent, the same shape (Teams' rules for outline icons).
Drawn at 8x and scaled down for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ACCENT = (31, 92, 153, 255)  # #1F5C99
GOLD = (255, 200, 61, 255)
WHITE = (255, 255, 255, 255)


def bulb(draw: ImageDraw.ImageDraw, size: int, fill, line, *, outline_only: bool) -> None:
    """A bulb centred in a `size` square: globe, neck, base and three rays."""
    s = size
    globe = (0.30 * s, 0.16 * s, 0.70 * s, 0.56 * s)
    width = max(1, int(0.055 * s))
    if outline_only:
        draw.ellipse(globe, outline=line, width=width)
    else:
        draw.ellipse(globe, fill=fill)
    draw.rectangle((0.40 * s, 0.52 * s, 0.60 * s, 0.64 * s), fill=line if outline_only else fill)
    draw.rectangle((0.41 * s, 0.67 * s, 0.59 * s, 0.71 * s), fill=line)
    draw.rectangle((0.43 * s, 0.74 * s, 0.57 * s, 0.78 * s), fill=line)
    for start, end in (
        ((0.50 * s, 0.04 * s), (0.50 * s, 0.10 * s)),
        ((0.20 * s, 0.14 * s), (0.25 * s, 0.19 * s)),
        ((0.80 * s, 0.14 * s), (0.75 * s, 0.19 * s)),
    ):
        draw.line((start, end), fill=line, width=width)


def color_icon(size: int = 192, scale: int = 8) -> Image.Image:
    big = size * scale
    image = Image.new("RGBA", (big, big), ACCENT)
    draw = ImageDraw.Draw(image)
    bulb(draw, big, GOLD, WHITE, outline_only=False)
    return image.resize((size, size), Image.LANCZOS)


def outline_icon(size: int = 32, scale: int = 8) -> Image.Image:
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    bulb(draw, big, WHITE, WHITE, outline_only=True)
    alpha = image.resize((size, size), Image.LANCZOS).getchannel("A")
    # Teams wants pure white on transparent: white everywhere, the shape only in the alpha channel.
    white = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    white.putalpha(alpha)
    return white


if __name__ == "__main__":
    color_icon().save(ROOT / "manifest" / "color.png", optimize=True)
    outline_icon().save(ROOT / "manifest" / "outline.png", optimize=True)
    print("wrote manifest/color.png and manifest/outline.png")
