"""reports.photos: what we accept from a phone, what we refuse, and what leaves no trace.

Every image is made here with Pillow / pillow-heif; no database is needed.
"""

import hashlib
import io
import struct
import zlib

import imagehash
import pytest
from PIL import Image, ImageCms, ImageDraw, ImageFile, TiffImagePlugin

from reports.photos import PhotoError, fit_within, make_thumbnail, process_photo

LIMITS = {"max_bytes": 15 * 1024 * 1024, "max_pixels": 50_000_000, "max_side_px": 2560}
HELSINKI_GPS = {1: "N", 2: (60.0, 10.0, 12.0), 3: "E", 4: (24.0, 56.0, 30.0)}
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
MAKE, MODEL, ORIENTATION, USER_COMMENT = 0x010F, 0x0110, 0x0112, 0x9286
# JPEG markers that carry only pixels and coding tables, never metadata.
PLAIN_JPEG_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC1, 0xC2, 0xC4, 0xDD, 0xDA}


def _scene(size: tuple[int, int] = (640, 480), mode: str = "RGB") -> Image.Image:
    """A picture with structure (gradient, shapes), so resizing and hashing mean something."""
    img = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle((w // 8, h // 8, w // 2, h // 2), fill="red")
    draw.ellipse((w // 2, h // 3, w - w // 8, h - h // 8), fill="blue")
    return img.convert(mode)


def _encode(img: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def _camera_exif(gps: dict[int, object] | None = None, **tags: object) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE], exif[MODEL] = "Canon", "EOS 5D Mark IV"
    for tag, value in tags.items():
        exif[int(tag.removeprefix("tag_"), 16)] = value
    if gps is not None:
        exif[GPS_IFD] = gps
    return exif


def _jpeg_markers(content: bytes) -> set[int]:
    """Return the markers of the segments before the image data (where metadata lives)."""
    assert content[:2] == b"\xff\xd8"
    markers, pos = {0xD8}, 2
    while True:
        marker = content[pos + 1]
        markers.add(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", content[pos + 2 : pos + 4])
        pos += 2 + length


def _assert_no_metadata(content: bytes) -> None:
    assert _jpeg_markers(content) <= PLAIN_JPEG_MARKERS  # no APPn but JFIF, no COM
    assert b"Exif" not in content
    assert b"xmpmeta" not in content
    with Image.open(io.BytesIO(content)) as out:
        assert out.format == "JPEG"
        assert not out.getexif()
        assert "icc_profile" not in out.info
        assert "comment" not in out.info


def _png_bomb(width: int, height: int) -> bytes:
    """A complete 1-bit single-colour PNG: a few kB on disk, width*height pixels decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    compressor, row = zlib.compressobj(9), bytes(1 + (width + 7) // 8)  # filter byte + bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _refused(data: bytes, **limits: int) -> PhotoError:
    with pytest.raises(PhotoError) as caught:
        process_photo(data, **{**LIMITS, **limits})
    assert str(caught.value)  # a message the citizen can read
    return caught.value


def test_jpeg_from_a_phone_is_reencoded_with_its_hashes():
    photo = process_photo(_encode(_scene(), "JPEG", quality=95), **LIMITS)

    assert (photo.width, photo.height) == (640, 480)
    assert photo.sha256 == hashlib.sha256(photo.content).hexdigest()
    assert len(photo.phash) == 16
    int(photo.phash, 16)
    assert photo.gps is None
    _assert_no_metadata(photo.content)


def test_heic_from_an_iphone_is_accepted_and_becomes_jpeg():
    heic = _encode(_scene(), "HEIF", quality=80)
    assert heic[4:12] == b"ftypheic"

    photo = process_photo(heic, **LIMITS)

    assert (photo.width, photo.height) == (640, 480)
    _assert_no_metadata(photo.content)


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("RGB", "WEBP"), ("RGB", "PNG"), ("P", "PNG"), ("L", "JPEG"), ("CMYK", "JPEG")],
)
def test_webp_png_grey_and_cmyk_photos_come_out_as_rgb_jpeg(mode, fmt):
    photo = process_photo(_encode(_scene(mode=mode), fmt), **LIMITS)

    with Image.open(io.BytesIO(photo.content)) as out:
        assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (640, 480))


def test_png_transparency_is_flattened_onto_white():
    img = _scene(mode="RGBA")
    img.paste((0, 0, 0, 0), (0, 0, 64, 64))  # a fully transparent black corner

    photo = process_photo(_encode(img, "PNG"), **LIMITS)

    with Image.open(io.BytesIO(photo.content)) as out:
        assert all(channel > 245 for channel in out.getpixel((10, 10)))


def test_jpeg_carrying_a_second_picture_as_mpo_is_accepted():
    mpo = _encode(_scene(), "MPO", save_all=True, append_images=[_scene((320, 240))])

    photo = process_photo(mpo, **LIMITS)

    assert (photo.width, photo.height) == (640, 480)


def test_same_picture_as_png_and_heic_gets_nearly_the_same_phash():
    scene = _scene()
    from_png = process_photo(_encode(scene, "PNG"), **LIMITS)
    from_heic = process_photo(_encode(scene, "HEIF", quality=60), **LIMITS)

    distance = imagehash.hex_to_hash(from_png.phash) - imagehash.hex_to_hash(from_heic.phash)
    assert distance <= 4


@pytest.mark.parametrize(("fmt", "max_side_px"), [("JPEG", 2560), ("JPEG", 100), ("WEBP", 100)])
def test_sideways_photo_is_turned_upright_by_its_exif_orientation(fmt, max_side_px):
    landscape = Image.new("RGB", (400, 200), "blue")
    landscape.paste("red", (0, 0, 200, 200))  # red on the left as stored
    exif = _camera_exif(tag_0112=6)  # "rotate 90° clockwise to display"

    photo = process_photo(
        _encode(landscape, fmt, exif=exif), **{**LIMITS, "max_side_px": max_side_px}
    )

    assert photo.height == min(400, max_side_px)
    assert photo.width == photo.height // 2
    with Image.open(io.BytesIO(photo.content)) as out:
        red, _, blue = out.getpixel((photo.width // 2, 5))  # the left side is now on top
        assert red > 200 and blue < 60
        assert not out.getexif().get(ORIENTATION)


def test_gps_is_read_from_exif_and_nothing_of_the_camera_is_kept():
    original = _encode(
        _scene(),
        "JPEG",
        exif=_camera_exif(gps=HELSINKI_GPS),
        comment=b"Mario Rossi's phone",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><Owner>Mario Rossi</Owner></x:xmpmeta>',
    )
    with Image.open(io.BytesIO(original)) as sent:
        assert {"exif", "comment", "icc_profile", "xmp"} <= set(sent.info)

    photo = process_photo(original, **LIMITS)

    assert photo.gps == pytest.approx((60.17, 24.9416667))
    _assert_no_metadata(photo.content)
    for trace in (b"Canon", b"EOS 5D", b"Mario Rossi"):
        assert trace not in photo.content


def test_southern_and_western_positions_are_negative():
    gps = {**HELSINKI_GPS, 1: "S", 3: "W"}

    photo = process_photo(_encode(_scene(), "JPEG", exif=_camera_exif(gps=gps)), **LIMITS)

    assert photo.gps == pytest.approx((-60.17, -24.9416667))


def test_gps_in_a_heic_is_read_and_stripped():
    heic = _encode(_scene(), "HEIF", exif=_camera_exif(gps=HELSINKI_GPS).tobytes())

    photo = process_photo(heic, **LIMITS)

    assert photo.gps == pytest.approx((60.17, 24.9416667))
    _assert_no_metadata(photo.content)
    assert b"Canon" not in photo.content


@pytest.mark.parametrize(
    "gps",
    [
        {**HELSINKI_GPS, 2: (60.0, TiffImagePlugin.IFDRational(10, 0), 12.0)},
        {**HELSINKI_GPS, 2: (95.0, 0.0, 0.0)},
        {**HELSINKI_GPS, 4: (181.0, 0.0, 0.0)},
        {**HELSINKI_GPS, 1: "Q"},
        {2: HELSINKI_GPS[2], 4: HELSINKI_GPS[4]},  # no N/S/E/W refs
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # no fix
        {1: "N", 3: "E"},
    ],
    ids=[
        "zero-denominator",
        "lat-90+",
        "lon-180+",
        "bad-ref",
        "no-refs",
        "null-island",
        "no-values",
    ],
)
def test_unbelievable_gps_is_ignored_and_the_photo_kept(gps):
    photo = process_photo(_encode(_scene(), "JPEG", exif=_camera_exif(gps=gps)), **LIMITS)

    assert photo.gps is None
    _assert_no_metadata(photo.content)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
def test_malformed_exif_is_ignored_and_the_photo_kept():
    bad_exif = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f"  # first IFD points past the end

    photo = process_photo(_encode(_scene(), "JPEG", exif=bad_exif), **LIMITS)

    assert photo.gps is None
    _assert_no_metadata(photo.content)


def test_huge_exif_comment_is_stripped():
    comment = b"ASCII\x00\x00\x00" + b"spam " * 12_000
    exif = _camera_exif()
    exif[EXIF_IFD] = {USER_COMMENT: comment}
    original = _encode(_scene(), "JPEG", exif=exif)
    assert len(original) > 60_000

    photo = process_photo(original, **LIMITS)

    assert b"spam" not in photo.content
    _assert_no_metadata(photo.content)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "HEIF"])
def test_big_photo_is_scaled_down_to_max_side_keeping_its_aspect(fmt):
    photo = process_photo(_encode(_scene((1600, 1200)), fmt), **{**LIMITS, "max_side_px": 400})

    assert (photo.width, photo.height) == (400, 300)
    with Image.open(io.BytesIO(photo.content)) as out:
        assert out.size == (400, 300)


def test_fit_within_keeps_aspect_and_never_enlarges():
    assert fit_within((4032, 3024), 2560) == (2560, 1920)
    assert fit_within((3024, 4032), 2560) == (1920, 2560)
    assert fit_within((800, 600), 2560) == (800, 600)
    assert fit_within((10_000, 16), 100) == (100, 1)


def test_more_bytes_than_the_limit_are_refused_before_reading_them():
    two_mb = 2 * 1024 * 1024
    err = _refused(_encode(_scene(), "PNG") + b"\x00" * two_mb, max_bytes=two_mb)

    assert err.code == "too_large"
    assert "2 MB" in str(err)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Dear mayor, the streetlight is broken.\n" * 20,
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n",
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"PK\x03\x04" + b"\x00" * 100,
    ],
    ids=["empty", "text", "pdf", "html", "zip"],
)
def test_files_that_are_not_images_are_refused(data):
    assert _refused(data).code == "not_an_image"


@pytest.mark.parametrize(
    "data",
    [
        _encode(_scene(), "GIF"),
        _encode(_scene(), "BMP"),
        _encode(_scene(), "TIFF"),
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64"/>',
    ],
    ids=["gif", "bmp", "tiff", "svg"],
)
def test_image_formats_phones_do_not_send_are_refused(data):
    assert _refused(data).code == "unsupported_format"


def test_jpeg_cut_in_half_is_refused():
    noisy = Image.merge("RGB", [Image.effect_noise((640, 480), 64)] * 3)
    jpeg = _encode(noisy, "JPEG")

    assert _refused(jpeg[: len(jpeg) // 2]).code == "truncated"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_other_formats_cut_in_half_are_refused(fmt):
    noisy = Image.merge("RGB", [Image.effect_noise((640, 480), 64)] * 3)
    data = _encode(noisy, fmt)

    assert _refused(data[: len(data) // 2]).code in {"truncated", "not_an_image"}


def test_truncated_images_are_never_loaded_silently():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize(
    ("width", "height"),
    [(8_000, 8_000), (20_000, 20_000)],
    ids=["over-our-limit", "over-pillow-limit-too"],
)
def test_decompression_bomb_is_refused_without_decoding_it(width, height, monkeypatch):
    bomb = _png_bomb(width, height)
    assert len(bomb) < 100_000

    def decoding_is_forbidden(self):
        raise AssertionError("a bomb must be refused before it is decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding_is_forbidden)
    err = _refused(bomb)

    assert err.code == "bomb"
    assert "50" in str(err)  # the limit, in megapixels


def test_payload_appended_to_a_jpeg_does_not_survive():
    payload = b"PK\x03\x04 evil.zip <html><script>steal()</script></html>"
    polyglot = _encode(_scene(), "JPEG", comment=payload) + payload

    photo = process_photo(polyglot, **LIMITS)

    assert b"steal()" not in photo.content
    assert not photo.content.endswith(payload)
    _assert_no_metadata(photo.content)


def test_file_name_plays_no_part_only_the_content_does(tmp_path):
    png_named_jpg = tmp_path / "IMG_0001.JPG"
    png_named_jpg.write_bytes(_encode(_scene(), "PNG"))
    text_named_heic = tmp_path / "IMG_0002.HEIC"
    text_named_heic.write_text("not a photo")

    assert process_photo(png_named_jpg.read_bytes(), **LIMITS).width == 640
    assert _refused(text_named_heic.read_bytes()).code == "not_an_image"


def test_photo_smaller_than_16_pixels_a_side_is_refused():
    assert _refused(_encode(_scene((15, 200)), "PNG")).code == "too_small"
    assert process_photo(_encode(_scene((16, 16)), "PNG"), **LIMITS).width == 16


def test_thumbnail_fits_in_the_side_and_carries_no_metadata():
    photo = process_photo(_encode(_scene((1600, 1200)), "JPEG"), **LIMITS)

    thumbnail = make_thumbnail(photo.content, side_px=320)

    with Image.open(io.BytesIO(thumbnail)) as out:
        assert (out.format, out.size) == ("JPEG", (320, 240))
    _assert_no_metadata(thumbnail)
