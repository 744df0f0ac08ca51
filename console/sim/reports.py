"""Citizen reports to 137: category, Persian text, location, district, and a photo the simulator draws.

The photo is a small PNG (160×120, palette, typically 1–3 KB) drawn with Pillow and carried inline
in the Reading as a data URI (`attrs["image"] = "data:image/png;base64,..."`), so a report is
self-contained wherever it travels (websocket, MQTT, journal, recording, database) and no second
fetch can fail or leak. `attrs["image_sha256"]` lets storage deduplicate and verify it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw


@dataclass(frozen=True)
class Category:
    key: str
    title_fa: str
    title_en: str
    urgency: int  # 1 routine .. 4 life-threatening
    texts: tuple[str, ...]


CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category(
            "flooding",
            "آب‌گرفتگی",
            "Flooding",
            3,
            (
                "آب‌گرفتگی شدید در {street}؛ آب تا زیر در خودروها رسیده است.",
                "سیلاب وارد کوچه‌های اطراف {street} شده، لطفاً سریع اقدام کنید.",
                "زیرگذر {street} پر از آب شده و خودروها گیر کرده‌اند.",
            ),
        ),
        Category(
            "road_blocked",
            "انسداد معبر",
            "Road blocked",
            2,
            (
                "{street} به خاطر آب و گل‌ولای بسته شده است.",
                "درخت و آوار راه {street} را بسته است.",
            ),
        ),
        Category(
            "air_pollution",
            "آلودگی هوا",
            "Air pollution / smoke",
            2,
            (
                "هوا در {street} خیلی آلوده است و بوی دود می‌آید.",
                "در محدودهٔ {district} نفس کشیدن سخت شده؛ دود غلیظ دیده می‌شود.",
            ),
        ),
        Category(
            "building_damage",
            "آسیب به ساختمان",
            "Building damage",
            4,
            (
                "دیوار ساختمان در {street} ترک برداشته و بخشی از آن ریخته است.",
                "ساختمان مسکونی کنار {street} آسیب جدی دیده؛ ساکنان بیرون آمده‌اند.",
                "نمای ساختمان در {street} در حال ریزش است.",
            ),
        ),
        Category(
            "gas_leak",
            "نشت گاز",
            "Gas leak",
            4,
            (
                "بوی شدید گاز در {street} حس می‌شود.",
                "لولهٔ گاز در {street} شکسته و صدای نشت می‌آید.",
            ),
        ),
        Category(
            "power_outage",
            "قطع برق",
            "Power outage",
            3,
            (
                "برق کل محلهٔ {street} قطع شده است.",
                "از لحظهٔ لرزش برق {district} رفته و هنوز وصل نشده.",
            ),
        ),
        Category(
            "trapped_people",
            "افراد محبوس",
            "People trapped",
            4,
            (
                "چند نفر زیر آوار ساختمانی در {street} گیر افتاده‌اند.",
                "صدای کمک‌خواهی از زیر آوار در {street} شنیده می‌شود.",
            ),
        ),
        Category(
            "accident",
            "تصادف",
            "Traffic accident",
            3,
            (
                "تصادف زنجیره‌ای در {street}؛ چند خودرو درگیرند.",
                "در {street} تصادف شده و ترافیک کاملاً قفل است.",
            ),
        ),
        Category(
            "pothole",
            "چاله و خرابی آسفالت",
            "Pothole",
            1,
            (
                "چالهٔ بزرگی در {street} به خودروها آسیب می‌زند.",
                "آسفالت {street} خراب شده است.",
            ),
        ),
        Category(
            "streetlight",
            "خاموشی روشنایی معابر",
            "Streetlight out",
            1,
            ("چراغ‌های {street} چند شب است خاموش‌اند.",),
        ),
        Category(
            "garbage",
            "انباشت زباله",
            "Uncollected garbage",
            1,
            (
                "زباله‌ها در {street} جمع‌آوری نشده‌اند.",
                "مخزن زبالهٔ {street} پر و سرریز شده است.",
            ),
        ),
        Category(
            "water_leak",
            "نشت لولهٔ آب",
            "Water main leak",
            2,
            ("لولهٔ آب در {street} ترکیده و آب در خیابان جاری است.",),
        ),
        Category(
            "noise", "آلودگی صوتی", "Noise", 1, ("سروصدای کارگاه ساختمانی در {street} تا نیمه‌شب ادامه دارد.",)
        ),
        Category(
            "traffic_light",
            "خرابی چراغ راهنمایی",
            "Traffic light fault",
            2,
            ("چراغ راهنمایی تقاطع {street} خاموش است.",),
        ),
        Category("tree_fall", "سقوط درخت", "Fallen tree", 2, ("درختی در {street} روی خودروها افتاده است.",)),
    )
}

# the everyday mix in a calm city (weights)
BACKGROUND = {
    "pothole": 5,
    "streetlight": 3,
    "garbage": 5,
    "water_leak": 2,
    "noise": 2,
    "traffic_light": 2,
    "tree_fall": 1,
}

W, H = 160, 120
_SKY = (128, 170, 205)
_GROUND = (150, 140, 120)
_ROAD = (70, 72, 78)


def draw_photo(category: str, seed: int, stamp: str) -> bytes:
    """A small, deterministic PNG sketch of the scene for a report."""
    rnd = random.Random(seed)
    night = rnd.random() < 0.25 or category in ("streetlight", "power_outage")
    img = Image.new("RGB", (W, H), (25, 30, 48) if night else _SKY)
    d = ImageDraw.Draw(img)
    horizon = 58 + rnd.randint(-6, 6)
    d.rectangle([0, horizon, W, H], fill=(60, 58, 52) if night else _GROUND)
    for _ in range(rnd.randint(2, 4)):  # buildings on the horizon
        x = rnd.randint(0, W - 30)
        w, h = rnd.randint(18, 34), rnd.randint(18, 42)
        d.rectangle([x, horizon - h, x + w, horizon], fill=(95, 90, 85) if not night else (40, 40, 45))
        for wy in range(horizon - h + 4, horizon - 4, 8):
            for wx in range(x + 3, x + w - 4, 7):
                lit = (
                    (240, 210, 120)
                    if (night and category != "power_outage" and rnd.random() < 0.6)
                    else (70, 80, 95)
                )
                d.rectangle([wx, wy, wx + 3, wy + 4], fill=lit)
    d.polygon([(20, H), (70, horizon + 6), (90, horizon + 6), (W - 20, H)], fill=_ROAD)
    for y in range(horizon + 10, H, 10):
        d.line([(80, y), (80, y + 5)], fill=(220, 220, 200), width=1)
    _GLYPHS.get(category, _glyph_generic)(d, rnd, horizon)
    d.rectangle([0, H - 13, W, H], fill=(0, 0, 0))
    d.text((3, H - 12), stamp, fill=(255, 255, 255))
    out = io.BytesIO()
    img.quantize(colors=32, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def _car(d, x, y, colour, tilt=0):
    pts = [(x, y), (x + 26, y + tilt), (x + 26, y + 10 + tilt), (x, y + 10)]
    d.polygon(pts, fill=colour)
    d.rectangle([x + 6, y - 6 + tilt // 2, x + 19, y + tilt // 2], fill=colour)
    d.ellipse([x + 3, y + 8, x + 9, y + 14], fill=(20, 20, 20))
    d.ellipse([x + 17, y + 8 + tilt, x + 23, y + 14 + tilt], fill=(20, 20, 20))


def _glyph_flooding(d, rnd, horizon):
    level = horizon + 18
    d.rectangle([0, level, W, H], fill=(60, 110, 170))
    _car(d, 55, level - 8, (200, 60, 50))
    d.rectangle([0, level + 2, W, H], fill=(60, 110, 170))
    for y in range(level, H, 7):
        for x in range(0, W, 16):
            d.arc([x, y, x + 16, y + 6], 180, 360, fill=(170, 205, 235))


def _glyph_accident(d, rnd, horizon):
    _car(d, 50, horizon + 26, (210, 50, 40), tilt=6)
    _car(d, 78, horizon + 30, (40, 90, 200), tilt=-5)
    for _ in range(8):
        x, y = 78 + rnd.randint(-8, 8), horizon + 28 + rnd.randint(-8, 8)
        d.line([(78, horizon + 30), (x, y)], fill=(255, 170, 0), width=2)


def _glyph_damage(d, rnd, horizon):
    x0 = rnd.randint(30, 90)
    d.rectangle([x0, horizon - 45, x0 + 40, horizon + 5], fill=(180, 170, 150))
    pts = [(x0 + 20, horizon - 45)]
    for k in range(1, 7):
        pts.append((x0 + 20 + rnd.randint(-10, 10), horizon - 45 + k * 8))
    d.line(pts, fill=(30, 30, 30), width=2)
    for _ in range(14):
        x, y = x0 + rnd.randint(-10, 50), horizon + rnd.randint(2, 16)
        d.rectangle([x, y, x + rnd.randint(2, 6), y + rnd.randint(2, 5)], fill=(120, 110, 95))


def _glyph_trapped(d, rnd, horizon):
    _glyph_damage(d, rnd, horizon)
    x, y = 120, horizon + 12
    d.ellipse([x, y, x + 6, y + 6], fill=(240, 200, 160))
    d.line([(x + 3, y + 6), (x + 3, y + 18)], fill=(240, 200, 160), width=2)
    d.line([(x - 3, y + 9), (x + 9, y + 3)], fill=(240, 200, 160), width=2)


def _glyph_gas(d, rnd, horizon):
    d.rectangle([20, horizon + 20, 140, horizon + 26], fill=(230, 200, 40))
    for k in range(5):
        r = 6 + k * 4
        cx, cy = 80 + k * 3, horizon + 14 - k * 6
        d.ellipse([cx - r, cy - r // 2, cx + r, cy + r // 2], outline=(120, 200, 120), width=2)


def _glyph_power(d, rnd, horizon):
    d.line([(40, horizon + 40), (40, horizon - 30)], fill=(110, 100, 90), width=3)
    d.line([(28, horizon - 26), (52, horizon - 26)], fill=(110, 100, 90), width=2)
    d.line([(52, horizon - 26), (95, horizon - 8), (100, horizon + 20)], fill=(30, 30, 30), width=1)
    d.polygon(
        [
            (104, horizon + 4),
            (110, horizon + 16),
            (106, horizon + 16),
            (112, horizon + 28),
            (100, horizon + 14),
            (104, horizon + 14),
        ],
        fill=(255, 220, 0),
    )


def _glyph_smoke(d, rnd, horizon):
    for _ in range(9):
        cx, cy, r = rnd.randint(0, W), rnd.randint(5, horizon), rnd.randint(12, 28)
        d.ellipse([cx - r, cy - r // 2, cx + r, cy + r // 2], fill=(150, 148, 140))


def _glyph_pothole(d, rnd, horizon):
    d.ellipse([62, horizon + 30, 104, horizon + 44], fill=(25, 25, 25), outline=(110, 100, 90), width=2)


def _glyph_light(d, rnd, horizon):
    d.line([(120, horizon + 40), (120, horizon - 30), (104, horizon - 30)], fill=(150, 150, 150), width=3)
    d.ellipse([96, horizon - 32, 108, horizon - 24], fill=(60, 60, 60))


def _glyph_garbage(d, rnd, horizon):
    for _ in range(7):
        x, y = rnd.randint(100, 140), horizon + rnd.randint(15, 40)
        d.ellipse([x, y, x + 16, y + 14], fill=(30, 30, 30), outline=(80, 80, 80))


def _glyph_water(d, rnd, horizon):
    for _k in range(12):
        d.line(
            [(80, horizon + 40), (80 + rnd.randint(-30, 30), horizon + rnd.randint(0, 30))],
            fill=(120, 180, 240),
            width=2,
        )
    d.ellipse([50, horizon + 40, 115, horizon + 55], fill=(90, 140, 200))


def _glyph_tree(d, rnd, horizon):
    d.line([(30, horizon + 30), (125, horizon + 42)], fill=(100, 70, 40), width=7)
    for _ in range(6):
        x, y = 110 + rnd.randint(-10, 20), horizon + 36 + rnd.randint(-12, 6)
        d.ellipse([x - 9, y - 9, x + 9, y + 9], fill=(50, 120, 50))


def _glyph_signal(d, rnd, horizon):
    d.rectangle([112, horizon - 34, 126, horizon + 4], fill=(30, 30, 30))
    for k in range(3):
        d.ellipse([115, horizon - 31 + k * 12, 123, horizon - 23 + k * 12], fill=(70, 70, 70))
    d.line([(108, horizon - 38), (130, horizon + 8)], fill=(230, 40, 40), width=3)


def _glyph_barrier(d, rnd, horizon):
    for k in range(6):
        d.polygon(
            [
                (40 + k * 14, horizon + 30),
                (48 + k * 14, horizon + 30),
                (56 + k * 14, horizon + 40),
                (48 + k * 14, horizon + 40),
            ],
            fill=(220, 40, 40) if k % 2 else (240, 240, 240),
        )


def _glyph_noise(d, rnd, horizon):
    for k in range(3):
        d.arc(
            [70 - k * 10, horizon - 20 - k * 10, 90 + k * 10, horizon + k * 10],
            -60,
            60,
            fill=(240, 200, 60),
            width=2,
        )


def _glyph_generic(d, rnd, horizon):
    d.ellipse([70, horizon + 20, 90, horizon + 40], outline=(255, 200, 0), width=3)


_GLYPHS = {
    "flooding": _glyph_flooding,
    "road_blocked": _glyph_barrier,
    "air_pollution": _glyph_smoke,
    "building_damage": _glyph_damage,
    "gas_leak": _glyph_gas,
    "power_outage": _glyph_power,
    "trapped_people": _glyph_trapped,
    "accident": _glyph_accident,
    "pothole": _glyph_pothole,
    "streetlight": _glyph_light,
    "garbage": _glyph_garbage,
    "water_leak": _glyph_water,
    "noise": _glyph_noise,
    "traffic_light": _glyph_signal,
    "tree_fall": _glyph_tree,
}


def photo_data_uri(category: str, seed: int, stamp: str) -> tuple[str, str]:
    png = draw_photo(category, seed, stamp)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii"), hashlib.sha256(png).hexdigest()


def report_text(category: str, street: str, district: str, rnd: random.Random) -> str:
    cat = CATEGORIES[category]
    return rnd.choice(cat.texts).format(street=street, district=district)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return math.hypot(lat1 - lat2, (lon1 - lon2) * math.cos(math.radians(lat1))) * 111_000
