"""Plausible demo photos drawn with Pillow: a pothole on asphalt, a lamp post, a bin, a tree...

Pure: a scene name and a seeded random generator in, JPEG bytes out. Not art, just enough for
the back office and the public map to show a photo that matches the category.
"""

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

WIDTH_PX, HEIGHT_PX = 800, 600
SKY = (170, 200, 225)

Draw = Callable[[random.Random], Image.Image]


def demo_photo(scene: str, rng: random.Random) -> bytes:
    """Return an 800x600 JPEG of `scene` (see SCENES; unknown scenes get a street view)."""
    image = SCENES.get(scene, _street)(rng)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _texture(rng: random.Random, base: tuple[int, int, int], sigma: int) -> Image.Image:
    """A noisy surface (asphalt, wall, grass) of the base colour."""
    noise = Image.effect_noise((WIDTH_PX, HEIGHT_PX), sigma).convert("RGB")
    plain = Image.new("RGB", (WIDTH_PX, HEIGHT_PX), _vary(rng, base, 12))
    return Image.blend(plain, noise, 0.35)


def _vary(rng: random.Random, colour: tuple[int, int, int], by: int) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, c + rng.randint(-by, by))) for c in colour)
    return r, g, b


def _street_background(rng: random.Random) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Sky above, asphalt below the horizon, a kerb line: the usual phone shot of a street."""
    image = _texture(rng, (95, 95, 98), 60)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(140, 220)
    draw.rectangle((0, 0, WIDTH_PX, horizon), fill=_vary(rng, SKY, 15))
    draw.polygon(
        [(0, horizon + 40), (WIDTH_PX, horizon + 10), (WIDTH_PX, horizon + 30), (0, horizon + 70)],
        fill=(150, 150, 145),
    )
    return image, draw


def _pothole(rng: random.Random) -> Image.Image:
    image = _texture(rng, (88, 88, 90), 70)
    draw = ImageDraw.Draw(image)
    cx, cy = rng.randint(250, 550), rng.randint(220, 380)
    rx, ry = rng.randint(90, 200), rng.randint(50, 120)
    draw.ellipse((cx - rx - 12, cy - ry - 10, cx + rx + 12, cy + ry + 10), fill=(70, 68, 66))
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(30, 28, 27))
    if rng.random() < 0.5:  # rain water in the hole
        draw.ellipse((cx - rx // 2, cy - ry // 3, cx + rx // 2, cy + ry // 3), fill=(60, 70, 80))
    for _ in range(rng.randint(3, 7)):  # cracks around it
        x, y = cx + rng.randint(-rx, rx), cy + rng.choice((-ry, ry))
        draw.line(
            (x, y, x + rng.randint(-120, 120), y + rng.randint(-80, 80)), fill=(40, 40, 40), width=3
        )
    return image.filter(ImageFilter.SMOOTH)


def _lamp(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    x = rng.randint(300, 500)
    draw.rectangle((x - 8, 60, x + 8, 560), fill=(60, 65, 70))
    draw.line((x, 70, x + 90, 50), fill=(60, 65, 70), width=10)
    lit = rng.random() < 0.2  # mostly the complaint is a dark lamp
    draw.ellipse((x + 70, 40, x + 130, 75), fill=(250, 240, 170) if lit else (90, 90, 95))
    if rng.random() < 0.3:  # bent or knocked pole
        draw.line((x - 8, 380, x + 40, 300), fill=(120, 30, 30), width=6)
    return image


def _bin(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    x, y = rng.randint(220, 420), rng.randint(250, 300)
    colour = rng.choice([(40, 110, 60), (50, 60, 70), (30, 80, 150), (200, 160, 40)])
    draw.rectangle((x, y, x + 220, y + 260), fill=colour)
    draw.rectangle((x - 10, y - 20, x + 230, y), fill=tuple(c // 2 for c in colour))
    for _ in range(rng.randint(8, 18)):  # bags and litter overflowing around it
        bx, by = x + rng.randint(-120, 300), y + rng.randint(180, 300)
        tone = rng.randint(20, 200)
        draw.ellipse(
            (bx, by, bx + rng.randint(40, 90), by + rng.randint(30, 70)),
            fill=(tone, tone, tone + 10),
        )
    return image


def _tree(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    y = rng.randint(330, 450)
    draw.line(
        (rng.randint(-40, 120), y + 60, rng.randint(620, 840), y - 40), fill=(95, 65, 40), width=45
    )
    for _ in range(40):  # foliage of the fallen crown
        fx, fy = rng.randint(450, 800), rng.randint(y - 160, y + 40)
        r = rng.randint(20, 60)
        draw.ellipse((fx - r, fy - r, fx + r, fy + r), fill=_vary(rng, (60, 120, 50), 25))
    return image


def _graffiti(rng: random.Random) -> Image.Image:
    image = _texture(rng, (200, 190, 170), 40)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 9)):
        colour = rng.choice(
            [(200, 30, 40), (30, 40, 160), (20, 20, 20), (240, 120, 20), (150, 30, 160)]
        )
        points = [(rng.randint(80, 720), rng.randint(120, 480)) for _ in range(rng.randint(4, 8))]
        draw.line(points, fill=colour, width=rng.randint(8, 18), joint="curve")
    draw.rectangle((0, 540, WIDTH_PX, HEIGHT_PX), fill=(120, 120, 118))  # pavement
    return image


def _car(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    x, y = rng.randint(150, 300), rng.randint(300, 360)
    body = _vary(rng, rng.choice([(150, 30, 30), (200, 200, 205), (40, 60, 110), (60, 60, 60)]), 20)
    draw.rounded_rectangle((x, y, x + 420, y + 120), radius=25, fill=body)
    draw.polygon([(x + 80, y), (x + 140, y - 80), (x + 300, y - 80), (x + 360, y)], fill=body)
    draw.polygon(
        [(x + 150, y - 70), (x + 290, y - 70), (x + 330, y - 5), (x + 110, y - 5)],
        fill=(140, 160, 175),
    )
    for wx in (x + 70, x + 330):
        draw.ellipse((wx, y + 80, wx + 80, y + 160), fill=(25, 25, 25))
    draw.line((x + 160, y + 30, x + 260, y + 70), fill=(110, 80, 50), width=12)  # rust, dent
    return image


def _sign(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    x = rng.randint(300, 500)
    draw.rectangle((x - 6, 150, x + 6, 560), fill=(150, 150, 155))
    tilt, sides = rng.randint(-25, 25), rng.choice((3, 8))  # a knocked warning or stop sign
    draw.regular_polygon((x, 150, 80), sides, rotation=tilt, fill=(200, 30, 30))
    draw.regular_polygon((x, 150, 60), sides, rotation=tilt, fill=(240, 240, 240))
    return image


def _pavement(rng: random.Random) -> Image.Image:
    image = _texture(rng, (165, 160, 150), 35)
    draw = ImageDraw.Draw(image)
    size = rng.randint(70, 110)
    for x in range(0, WIDTH_PX, size):
        draw.line((x, 0, x, HEIGHT_PX), fill=(120, 115, 110), width=3)
    for y in range(0, HEIGHT_PX, size):
        draw.line((0, y, WIDTH_PX, y), fill=(120, 115, 110), width=3)
    cx, cy = rng.randint(200, 600), rng.randint(150, 450)
    draw.polygon(
        [(cx - 90, cy), (cx - 10, cy - 70), (cx + 100, cy - 20), (cx + 40, cy + 80)],
        fill=(85, 80, 75),
    )
    if rng.random() < 0.5:  # a drain cover instead of a broken slab
        draw.ellipse((cx - 80, cy - 80, cx + 80, cy + 80), fill=(50, 50, 55))
        for i in range(-60, 70, 20):
            draw.line((cx + i, cy - 60, cx + i, cy + 60), fill=(20, 20, 20), width=6)
    return image


def _green(rng: random.Random) -> Image.Image:
    image = _texture(rng, (70, 130, 55), 60)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH_PX, rng.randint(120, 200)), fill=_vary(rng, SKY, 15))
    for _ in range(300):  # tall grass blades
        x, y = rng.randint(0, WIDTH_PX), rng.randint(250, HEIGHT_PX)
        draw.line(
            (x, y, x + rng.randint(-15, 15), y - rng.randint(40, 120)),
            fill=_vary(rng, (50, 110, 40), 30),
            width=2,
        )
    if rng.random() < 0.5:  # a swing frame
        x = rng.randint(200, 500)
        draw.line((x, 520, x + 60, 220, x + 120, 520), fill=(200, 60, 40), width=10)
        draw.line((x + 60, 220, x + 260, 220), fill=(200, 60, 40), width=10)
    return image


def _street(rng: random.Random) -> Image.Image:
    image, draw = _street_background(rng)
    for _ in range(rng.randint(10, 30)):
        x, y = rng.randint(0, WIDTH_PX), rng.randint(320, HEIGHT_PX)
        draw.rectangle(
            (x, y, x + rng.randint(10, 40), y + rng.randint(5, 20)),
            fill=_vary(rng, (180, 170, 150), 60),
        )
    return image


SCENES: dict[str, Draw] = {
    "pothole": _pothole,
    "lamp": _lamp,
    "bin": _bin,
    "tree": _tree,
    "graffiti": _graffiti,
    "car": _car,
    "sign": _sign,
    "pavement": _pavement,
    "green": _green,
    "street": _street,
}
