#!/usr/bin/env python3
"""Render a terminal screen captured with ANSI colours (`tmux capture-pane -e -p`) to a PNG.

Usage: ansi2png.py SCREEN.ansi OUT.png --columns 120 --rows 40
Reads SGR sequences only (colours, bold, dim, underline, reverse), which is what tmux emits.
"""
import argparse
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
BACKGROUND = (24, 26, 33)
FOREGROUND = (220, 223, 228)
# xterm-like palette, slightly softened for reading on a page.
PALETTE = [
    (40, 42, 54), (230, 80, 80), (90, 200, 110), (230, 190, 80),
    (90, 140, 235), (200, 110, 220), (80, 200, 210), (220, 223, 228),
    (110, 115, 130), (255, 110, 110), (120, 230, 140), (255, 220, 110),
    (120, 170, 255), (230, 140, 250), (110, 230, 240), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        i = 0
        params = params or [0]
        while i < len(params):
            p = params[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = PALETTE[p - 30]
            elif 90 <= p <= 97:
                self.fg = PALETTE[p - 90 + 8]
            elif p == 39:
                self.fg = None
            elif 40 <= p <= 47:
                self.bg = PALETTE[p - 40]
            elif 100 <= p <= 107:
                self.bg = PALETTE[p - 100 + 8]
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(params):
                if params[i + 1] == 5 and i + 2 < len(params):
                    colour = xterm256(params[i + 2])
                    i += 2
                elif params[i + 1] == 2 and i + 4 < len(params):
                    colour = tuple(params[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if p == 38:
                    self.fg = colour
                else:
                    self.bg = colour
                i += 1
            i += 1


def parse(text, columns, rows):
    grid = [[(" ", Style()) for _ in range(columns)] for _ in range(rows)]
    style = Style()
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\x1b" and i + 1 < len(line) and line[i + 1] == "[":
                j = i + 2
                while j < len(line) and not ("@" <= line[j] <= "~"):
                    j += 1
                if j < len(line) and line[j] == "m":
                    body = line[i + 2:j]
                    style.apply([int(p) if p.isdigit() else 0 for p in body.replace(":", ";").split(";")] if body else [0])
                i = j + 1
                continue
            width = 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
            if x < columns:
                grid[y][x] = (c, style.copy())
                if width == 2 and x + 1 < columns:
                    grid[y][x + 1] = ("", style.copy())
            x += width
            i += 1
        # The terminal cleared the rest of the row with the current background (bce); tmux
        # leaves those cells out of the capture.
        if x > 0 and (style.bg is not None or style.reverse):
            for rest in range(x, columns):
                grid[y][rest] = (" ", style.copy())
    return grid


def render(grid, out, size):
    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", size)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", size)
    cell_w = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    cell_h = ascent + descent + 2
    rows, columns = len(grid), len(grid[0])
    pad = 10
    image = Image.new("RGB", (columns * cell_w + 2 * pad, rows * cell_h + 2 * pad), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(grid):
        for x, (c, s) in enumerate(row):
            fg = s.fg or FOREGROUND
            bg = s.bg
            if s.reverse:
                fg, bg = (bg or BACKGROUND), (s.fg or FOREGROUND)
            if s.dim:
                fg = tuple(int(v * 0.6 + BACKGROUND[i] * 0.4) for i, v in enumerate(fg))
            px, py = pad + x * cell_w, pad + y * cell_h
            if bg is not None:
                draw.rectangle([px, py, px + cell_w - 1, py + cell_h - 1], fill=bg)
            if c.strip():
                draw.text((px, py + 1), c, font=bold if s.bold else regular, fill=fg)
            if s.underline:
                draw.line([px, py + cell_h - 2, px + cell_w - 1, py + cell_h - 2], fill=fg)
    image.save(out)


def main():
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument("screen")
    a.add_argument("out")
    a.add_argument("--columns", type=int, default=120)
    a.add_argument("--rows", type=int, default=40)
    a.add_argument("--font-size", type=int, default=15)
    args = a.parse_args()
    with open(args.screen, encoding="utf-8", errors="replace") as f:
        text = f.read()
    render(parse(text, args.columns, args.rows), args.out, args.font_size)


if __name__ == "__main__":
    main()
