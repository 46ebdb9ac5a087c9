"""Text on a coloured marker: the colour that reads on it, by WCAG 2.x contrast.

A category group's colour (CategoryGroup.color) is chosen by the municipality; the cluster's
count is drawn on it in black or white, whichever contrasts more. One of the two always reaches
4.58:1 (the worst background, of relative luminance 0.179, gives both the same ratio,
sqrt(1.05 / 0.05)), above the 4.5:1 that WCAG 1.4.3 asks of text.
"""

import re

DARK, LIGHT = "#000000", "#ffffff"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
SHORT_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3}")
# What the markers are drawn on when a group's colour is no colour CSS knows (maps.css).
FALLBACK_BACKGROUND = "#555555"


def relative_luminance(colour: str) -> float:
    """Return the WCAG relative luminance (0 black to 1 white) of a #rrggbb colour."""
    if not HEX_COLOUR.fullmatch(colour):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str) -> str:
    """Return black or white, whichever contrasts more with `background`.

    `background` is a group's colour as stored: #rrggbb or #rgb; anything else is no colour
    for the browser either, which then draws FALLBACK_BACKGROUND.
    """
    if SHORT_HEX_COLOUR.fullmatch(background):
        background = "#" + "".join(c * 2 for c in background[1:])
    if not HEX_COLOUR.fullmatch(background):
        background = FALLBACK_BACKGROUND
    return max((LIGHT, DARK), key=lambda text: contrast_ratio(text, background))
