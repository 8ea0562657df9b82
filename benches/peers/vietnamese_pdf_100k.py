"""Writes COUNT distinct two-page Vietnamese PDFs of about TARGET bytes each, for the `check` bench.

Usage: vietnamese_pdf_100k.py OUT_DIR FONT.ttf COUNT TARGET_BYTES

Each file is an administrative decision (fpdf2, DejaVu Sans embedded, real text layer) numbered
`Số: <n>/QĐ-UBND`, with a scanned-looking red seal (a JPEG drawn with Pillow, with seeded paper
noise) on page 2. The JPEG quality is chosen per file so the file comes close to TARGET_BYTES
without going over, which is how real signed decisions reach 100 KB: a scan or an image, not text.
Files are written as OUT_DIR/unsigned-0001.pdf, …; the bytes are the same on every run.
"""

import io
import math
import random
import sys
from datetime import datetime, timezone

from fpdf import FPDF
from PIL import Image, ImageDraw

TITLE = "Quyết định về việc phê duyệt chữ ký số"


def body(n: int) -> list[str]:
    return [
        "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc",
        f"Số: {n}/QĐ-UBND                      Hà Giang, ngày {1 + n % 28} tháng 3 năm 2025",
        "QUYẾT ĐỊNH",
        TITLE,
        "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HÀ GIANG",
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 02 năm 2025;",
        "Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;",
        "Căn cứ Nghị định số 23/2025/NĐ-CP quy định về chữ ký điện tử và dịch vụ tin cậy;",
        "Căn cứ Nghị định số 30/2020/NĐ-CP về công tác văn thư;",
        f"Xét đề nghị của Giám đốc Sở Khoa học và Công nghệ tại Tờ trình số {n % 997}/TTr-SKHCN.",
        "QUYẾT ĐỊNH:",
        "Điều 1. Phê duyệt việc sử dụng chữ ký số chuyên dùng Chính phủ trong văn bản điện tử "
        "của các cơ quan, đơn vị thuộc Ủy ban nhân dân tỉnh.",
        "Điều 2. Văn bản điện tử được ký số bởi người có thẩm quyền và cơ quan ban hành có giá trị "
        "pháp lý như văn bản giấy; việc lưu trữ thực hiện theo quy định của pháp luật về lưu trữ.",
        "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân tỉnh, "
        "Giám đốc các sở, Thủ trưởng các ban, ngành và Chủ tịch Ủy ban nhân dân các huyện, thành "
        "phố chịu trách nhiệm thi hành Quyết định này.",
    ]


PAGE_TWO = [
    "Nơi nhận: Như Điều 3; Văn phòng Chính phủ; Lưu: VT, VP.",
    "TM. ỦY BAN NHÂN DÂN — CHỦ TỊCH",
]


def seal(n: int, size: int = 720) -> Image.Image:
    """A red seal of the committee on slightly grey, noisy paper, as a scanner makes it."""
    rng = random.Random(n)
    img = Image.new("RGB", (size, size), (246, 244, 238))
    px = img.load()
    for y in range(size):
        for x in range(size):
            g = rng.randint(-14, 14)
            px[x, y] = (236 + g, 234 + g, 228 + g)
    d = ImageDraw.Draw(img)
    c = size // 2
    red = (200, 30, 40)
    for r, w in ((c - 20, 14), (c - 80, 5)):
        d.ellipse((c - r, c - r, c + r, c + r), outline=red, width=w)
    # A five-pointed star in the middle.
    pts = []
    for k in range(10):
        rr = 90 if k % 2 == 0 else 36
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + rr * math.cos(a), c + rr * math.sin(a)))
    d.polygon(pts, fill=red)
    # Ink speckle around the rings, different in every file.
    for _ in range(4000):
        a = rng.random() * 2 * math.pi
        r = c - 20 + rng.gauss(0, 18)
        x, y = c + r * math.cos(a), c + r * math.sin(a)
        d.point((x, y), fill=(190 + rng.randint(0, 40), 20, 30))
    return img


def build(n: int, font: str, jpeg: bytes | None) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("Ủy ban nhân dân tỉnh Hà Giang")
    pdf.set_creator("stele benches/peers/vietnamese_pdf_100k.py (fpdf2)")
    pdf.set_creation_date(datetime(2025, 3, 2, 3, 4, 5, tzinfo=timezone.utc))
    pdf.add_font("DejaVu", "", font)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in body(n):
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for line in PAGE_TWO:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if jpeg is not None:
        pdf.image(io.BytesIO(jpeg), x=70, y=50, w=60, h=60)
    pdf.multi_cell(0, 8, "", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(115)
    pdf.multi_cell(0, 8, "Nguyễn Văn An", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def main() -> None:
    out_dir, font, count, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for i in range(1, count + 1):
        n = 1000 + i
        base = len(build(n, font, None))
        img = seal(n)
        chosen = None
        for q in range(95, 9, -1):
            buf = io.BytesIO()
            img.save(buf, format="JPEG", quality=q)
            chosen = buf.getvalue()
            if base + len(chosen) + 600 <= target:
                break
        data = build(n, font, chosen)
        with open(f"{out_dir}/unsigned-{i:04}.pdf", "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
