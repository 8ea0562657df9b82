# Writes queries.json: the judged queries over corpus.json (run: python3 gen_queries.py).
# Each query: the ids that must appear in the top 10 ("top10"), the id that must rank first
# ("first"), pairs [a, b] where a must rank above b ("above"; b may be absent), ids that must not
# match at all ("absent"), and optionally the exact total. Clearance defaults to "full".
import json, unicodedata

q = []
def j(name, query, top10=(), first=None, above=(), absent=(), total=None, clearance="full", **filters):
    q.append(dict(name=name, query=query, filters=filters, clearance=clearance, top10=list(top10),
                  first=first, above=[list(p) for p in above], absent=list(absent), total=total))

SCATTERED = [("d01", "d03"), ("d01", "d04"), ("d02", "d03"), ("d02", "d04")]
j("accented words: adjacent syllables above scattered ones", "chữ ký số", ["d01", "d02"], above=SCATTERED)
j("unaccented words find accented text, adjacency ranks", "chu ky so", ["d01", "d02"], above=SCATTERED)
j("accented phrase", '"chữ ký số"', ["d01", "d02"], absent=["d03", "d04", "d05", "d45"], clearance="public")
j("unaccented phrase", '"chu ky so"', ["d01", "d02"], absent=["d03", "d04", "d05"])
j("exact spelling dấu above dầu and đậu", "dấu", ["d10"], above=[("d10", "d11"), ("d10", "d12")])
j("unaccented dau finds all three spellings", "dau", ["d10", "d11", "d12"])
j("exact spelling dầu above dấu and đậu", "dầu", ["d11"], first="d11", above=[("d11", "d10"), ("d11", "d12")])
j("đậu tương", "đậu tương", ["d12"], first="d12")
j("dau tuong unaccented", "dau tuong", ["d12"], first="d12")
j("ngân sách above ngăn/sạch decoy", "ngân sách", ["d20", "d21", "d22"],
  above=[("d20", "d23"), ("d21", "d23"), ("d22", "d23")])
j("ngan sach unaccented, pairs beat decoy", "ngan sach", ["d20", "d21", "d22"], above=[("d22", "d23")])
j("đất đai above đạt/dài decoy", "đất đai", ["d30", "d32"], above=[("d30", "d33"), ("d32", "d33")])
j("dat dai unaccented", "dat dai", ["d30", "d32"], above=[("d30", "d33"), ("d32", "d33")])
j("number and notation", "1500/UBND-CNTT", ["d01"], first="d01")
j("number and notation, lowercase", "1500/ubnd-cntt", ["d01"], first="d01")
j("short notation above longer one with same number", "625/UBND", ["d30", "d31"], first="d30")
j("notation with Đ, folded and lowercase", "25/qd-ubnd", ["d20"], first="d20")
j("notation alone", "QĐ-UBND", ["d20", "d32", "d50", "d66", "d72", "d75"])
j("notation without number", "UBND-CNTT", ["d01"], first="d01")
j("another number and notation", "215/STTTT-BCVT", ["d02"], first="d02")
j("bare number: the record numbered 1500 first", "1500", ["d01", "d63"], first="d01")
j("agency filter lists newest first, secret hidden", "", first="d22", total=8, absent=["d45"],
  clearance="public", agency="H12.05")
j("type filter, accents and case ignored", "", ["d20", "d32", "d50", "d60", "d66", "d67", "d72", "d75"],
  total=8, type_name="quyet dinh")
j("signer filter, unaccented", "", total=10, absent=["d42", "d52", "d67", "d68", "d44"],
  clearance="public", signer="nguyen van an")
j("words plus year", "y tế", ["d41", "d71"], absent=["d40", "d42", "d43"], clearance="public", year=2024)
j("unaccented words, secret hidden", "y te", ["d40", "d41", "d42", "d71"], absent=["d43"], clearance="public")
j("secret record hidden from public", "Bạch Hổ", total=0, clearance="public")
j("secret record found with full clearance", "Bạch Hổ", ["d43"], first="d43")
j("secret record found unaccented", "bach ho", ["d43"], first="d43")
j("words plus agency plus year", "ngân sách", ["d20", "d22"], total=2, absent=["d21", "d45"],
  clearance="public", agency="h12.05", year=2024)
j("full clearance sees secret budget records", "ngân sách", ["d44", "d45", "d20"])
j("date range", "", first="d61", total=3, clearance="public", **{"from": "2024-05-01", "to": "2024-06-30"})
j("confidentiality filter", "", ["d43"], total=1, confidentiality="Mật")
j("confidentiality filter above clearance gives nothing", "", total=0, clearance="public", confidentiality="Mật")
j("file code filter", "", ["d20", "d22"], total=2, file_notation="hs-ns-2024")
j("retention filter", "", ["d20", "d30", "d60", "d75"], total=4, clearance="public", retention="01")
j("NFD-indexed document found by NFC query", "quy chế", ["d65", "d60", "d52"])
j("uppercase query", "QUY CHẾ", ["d65", "d60"])
j("NFD query", unicodedata.normalize("NFD", "thiết bị"), ["d65"], first="d65")
j("exact ký above kỷ", "ký", ["d01"], above=[("d10", "d74"), ("d01", "d74")])
j("uppercase document", "thành lập tổ công tác", ["d66"], first="d66")
j("uppercase document, unaccented", "cai cach hanh chinh", ["d66"], first="d66")
j("phrase in body", '"bảo hiểm y tế"', ["d42"], first="d42", absent=["d41"])
j("number in query words", "tuyển sinh lớp 10", ["d50"], first="d50")
j("đấu giá", "đấu giá", ["d69"], first="d69")
j("dau gia unaccented", "dau gia", ["d69"])
j("phrase plus signer", "chữ ký số", ["d02"], absent=["d01"], signer="Phạm Minh Đức")
j("organ name and type filter", "giáo dục", ["d42", "d68"], absent=["d50", "d51"], type_name="Công văn")

json.dump(q, open("queries.json", "w"), ensure_ascii=False, indent=1)
print(len(q))
