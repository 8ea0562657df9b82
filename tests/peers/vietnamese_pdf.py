"""Writes a two-page PDF with Vietnamese text and a real text layer (fpdf2, embedded TrueType font).

Usage: vietnamese_pdf.py OUT.pdf FONT.ttf

The text is an administrative decision of the kind Vietnamese agencies sign twice (the leader, then
the agency). Tests of `stele check` and of text extraction look for the phrases below.
"""

import sys
from datetime import datetime, timezone

from fpdf import FPDF

TITLE = "Quyết định về việc phê duyệt chữ ký số"
BODY = [
    "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc",
    "Số: 1234/QĐ-UBND",
    "QUYẾT ĐỊNH",
    TITLE,
    "Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023;",
    "Căn cứ Nghị định số 23/2025/NĐ-CP quy định về chữ ký điện tử và dịch vụ tin cậy;",
    "Điều 1. Phê duyệt việc sử dụng chữ ký số chuyên dùng Chính phủ trong văn bản điện tử.",
    "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
]
PAGE_TWO = [
    "Nơi nhận: Như Điều 2; Lưu: VT, VP.",
    "TM. ỦY BAN NHÂN DÂN — CHỦ TỊCH",
    "Nguyễn Văn An",
]


def main() -> None:
    out, font = sys.argv[1], sys.argv[2]
    pdf = FPDF(format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("Ủy ban nhân dân tỉnh Hà Giang")
    pdf.set_creator("stele tests/peers/vietnamese_pdf.py (fpdf2)")
    # Fixed dates keep the unsigned document byte-stable between runs.
    pdf.set_creation_date(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    pdf.add_font("DejaVu", "", font)
    pdf.set_font("DejaVu", size=13)
    pdf.add_page()
    for line in BODY:
        pdf.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    for line in PAGE_TWO:
        pdf.multi_cell(0, 9, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(out)


if __name__ == "__main__":
    main()
