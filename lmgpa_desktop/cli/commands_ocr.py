"""`lmgpa ocr IMAGE`: the text on a photo or scan, recognised offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ocr command."""
    p = sub.add_parser("ocr", help="print the text on an image (photo, scan, screenshot), recognised offline")
    p.add_argument("image", type=Path)
    p.add_argument("--language", default="eng",
                   help="tesseract language code(s), such as eng, deu or eng+fra (default: eng)")
    p.add_argument("--json", action="store_true",
                   help="print text, confidence, rotated_by and word boxes [x, y, w, h, text, confidence]")
    p.set_defaults(handler=cmd_ocr)


def cmd_ocr(args) -> int:
    """Recognise every page of the image and print it."""
    from lmgpa_desktop.core.capture import document_text

    if document_text.kind_of(args.image) != "image":
        raise document_text.ExtractError(f"{args.image.name} is not an image; `lmgpa ocr` reads png, jpg, tif, "
                                   f"webp, bmp, gif and heic files")
    pages = document_text.ocr_image(args.image, args.language)
    if args.json:
        from lmgpa_desktop.cli import print_json

        data = [{"page": n, "text": p.text, "confidence": p.confidence, "rotated_by": p.rotated_by,
                 "width": p.width, "height": p.height, "words": [list(w) for w in p.words]}
                for n, p in enumerate(pages, start=1)]
        print_json(data[0] if len(data) == 1 else data)
        return 0
    for n, page in enumerate(pages):
        if n:
            sys.stdout.write("\f\n")  # a form feed between the pages of a multi-page TIFF, as tesseract does
        sys.stdout.write(page.text.rstrip("\n") + "\n")
    if not any(page.text.strip() for page in pages):
        print(f"lmgpa: no text found in {args.image.name}", file=sys.stderr)
        return 1
    return 0
