# Writes corpus.json: the hand-written Vietnamese test corpus of the judged search tests.
# (Kept as a script so the NFD document stays decomposed; run: python3 gen_corpus.py)
import json, unicodedata

VP = ("H12.01", "Văn phòng Ủy ban nhân dân tỉnh")
STC = ("H12.05", "Sở Tài chính")
TNMT = ("H12.09", "Sở Tài nguyên và Môi trường")
SYT = ("H12.12", "Sở Y tế")
GD = ("H12.15", "Sở Giáo dục và Đào tạo")
TTTT = ("H12.20", "Sở Thông tin và Truyền thông")

AN = "Nguyễn Văn An"
ANH = "Nguyễn Văn Anh"
BICH = "Trần Thị Bích"
DUNG = "Lê Hoàng Dũng"
DUC = "Phạm Minh Đức"
HOA = "Đặng Thu Hoa"

docs = []
def d(id, organ, type_name, number, notation, date, signers, subject, text,
      conf="none", retention="05", file=None):
    docs.append(dict(id=id, organ_id=organ[0], organ_name=organ[1], type_name=type_name,
                     code_number=number, code_notation=notation, issued_date=date,
                     signers=signers, subject=subject, text=text, confidentiality=conf,
                     retention=retention, file_notation=file))

# --- chữ ký số: adjacent phrase vs. the three syllables scattered ---
d("d01", VP, "Công văn", "1500", "UBND-CNTT", "2024-03-15", [AN],
  "Về việc triển khai chữ ký số trong cơ quan nhà nước",
  "Ủy ban nhân dân tỉnh yêu cầu các sở, ban, ngành triển khai chữ ký số cho toàn bộ văn bản điện tử. "
  "Văn bản có chữ ký số có giá trị pháp lý như văn bản giấy. Sở Thông tin và Truyền thông hướng dẫn cấp chứng thư.")
d("d02", TTTT, "Hướng dẫn", "215", "STTTT-BCVT", "2023-06-02", [DUC],
  "Hướng dẫn sử dụng chứng thư chuyên dùng",
  "Cán bộ, công chức sử dụng chữ ký số chuyên dùng để ký văn bản điện tử. "
  "Khi mất thiết bị lưu khóa bí mật phải báo ngay để thu hồi chứng thư.")
d("d03", STC, "Báo cáo", "88", "BC-STC", "2023-09-20", [BICH],
  "Báo cáo số liệu thu chi quý III",
  "Số liệu thu ngân sách quý III tăng so với cùng kỳ. Các đơn vị đã ký hợp đồng mua sắm tập trung. "
  "Mẫu biểu ghi bằng chữ in hoa theo quy định.")
d("d04", TNMT, "Biên bản", "12", "BB-TNMT", "2022-11-05", [DUNG],
  "Biên bản kiểm tra hiện trạng khu mỏ đá",
  "Đoàn kiểm tra ký biên bản tại hiện trường. Số lượng mốc giới còn thiếu ba mốc. "
  "Phần chữ viết tay trên bản đồ đã mờ, cần đo vẽ lại.")
d("d05", TTTT, "Kế hoạch", "301", "KH-STTTT", "2024-01-10", [DUC],
  "Kế hoạch chuyển đổi số năm 2024",
  "Đẩy mạnh chuyển đổi số, ký số văn bản trên hệ thống quản lý văn bản và điều hành. "
  "Số hóa hồ sơ thủ tục hành chính, bảo đảm an toàn thông tin.")

# --- dấu / dầu / đậu: fold to the same word ---
d("d10", VP, "Công văn", "402", "VP-HCTC", "2023-04-12", [AN],
  "Về việc quản lý và sử dụng con dấu",
  "Văn thư cơ quan chịu trách nhiệm quản lý con dấu. Chỉ đóng dấu lên văn bản đã có chữ ký của người có thẩm quyền. "
  "Không đóng dấu khống chỉ.")
d("d11", STC, "Thông báo", "77", "TB-STC", "2023-05-03", [BICH],
  "Thông báo giá xăng dầu tháng 5",
  "Giá dầu hỏa và dầu diezen điều chỉnh tăng. Các cửa hàng xăng dầu niêm yết giá dầu mới từ ngày 3 tháng 5.")
d("d12", TNMT, "Công văn", "190", "TNMT-NN", "2022-08-19", [DUNG],
  "Hỗ trợ nông dân chuyển đổi sang trồng đậu tương",
  "Vùng đất bãi ven sông phù hợp trồng đậu tương và đậu xanh. Sở hỗ trợ giống đậu cho các hộ nông dân.")
d("d13", VP, "Thông báo", "15", "TB-VP", "2024-02-01", [HOA],
  "Thông báo nghỉ Tết Nguyên đán",
  "Cơ quan nghỉ Tết từ ngày 8 tháng 2. Bộ phận trực bảo đảm an ninh, phòng cháy và dấu hiệu bất thường phải báo ngay.")

# --- ngân sách vs. ngăn / sạch decoys ---
d("d20", STC, "Quyết định", "25", "QĐ-UBND", "2024-01-05", [AN],
  "Giao dự toán ngân sách nhà nước năm 2024",
  "Giao dự toán thu, chi ngân sách nhà nước năm 2024 cho các sở, ngành và huyện. "
  "Thủ trưởng đơn vị sử dụng ngân sách đúng mục đích, tiết kiệm.", retention="01", file="HS-NS-2024")
d("d21", STC, "Báo cáo", "140", "BC-STC", "2023-12-20", [BICH],
  "Quyết toán ngân sách xã năm 2022",
  "Tổng chi ngân sách xã là 625 triệu đồng. Các xã hoàn thành quyết toán đúng hạn.", file="HS-NS-2023")
d("d22", STC, "Công văn", "56", "STC-QLNS", "2024-04-22", [BICH],
  "Điều chỉnh ngân sách chi thường xuyên",
  "Điều chỉnh dự toán ngân sách chi thường xuyên của các đơn vị sự nghiệp công lập.", file="HS-NS-2024")
d("d23", TNMT, "Kế hoạch", "61", "KH-TNMT", "2023-03-30", [DUNG],
  "Kế hoạch giữ gìn môi trường xanh, sạch, đẹp",
  "Ngăn chặn xả thải ra sông. Vận động nhân dân giữ đường làng sạch sẽ, phân loại rác, ngăn nắp.")

# --- đất đai vs. đạt / dài ---
d("d30", TNMT, "Công văn", "625", "UBND", "2024-05-14", [AN],
  "Về việc cấp giấy chứng nhận quyền sử dụng đất",
  "Đẩy nhanh cấp giấy chứng nhận quyền sử dụng đất đai cho hộ gia đình, cá nhân. Giải quyết dứt điểm tranh chấp đất đai.",
  retention="01")
d("d31", TNMT, "Công văn", "625", "UBND-TNMT", "2022-05-10", [DUNG],
  "Thu hồi đất thực hiện dự án đường tỉnh",
  "Thu hồi đất nông nghiệp để mở rộng đường tỉnh. Niêm yết công khai phương án bồi thường.")
d("d32", TNMT, "Quyết định", "330", "QĐ-UBND", "2023-10-02", [AN],
  "Phê duyệt phương án bồi thường khi nhà nước thu hồi đất đai",
  "Phê duyệt phương án bồi thường, hỗ trợ tái định cư. Luật Đất đai năm 2024 được áp dụng từ ngày có hiệu lực.")
d("d33", GD, "Báo cáo", "98", "BC-SGDĐT", "2023-06-30", [HOA],
  "Kết quả hội khỏe Phù Đổng",
  "Đoàn vận động viên đạt nhiều huy chương. Thời gian thi đấu dài, các em đạt thành tích cao ở nội dung chạy dài.")

# --- y tế ---
d("d40", SYT, "Kế hoạch", "120", "KH-SYT", "2023-07-01", [HOA],
  "Kế hoạch phòng chống dịch sốt xuất huyết",
  "Tổ chức phun hóa chất diệt muỗi, vệ sinh môi trường. Trạm y tế xã giám sát ca bệnh sốt xuất huyết.")
d("d41", SYT, "Công văn", "205", "SYT-NV", "2024-02-18", [HOA],
  "Tăng cường công tác y tế cơ sở",
  "Củng cố mạng lưới y tế cơ sở, bảo đảm thuốc thiết yếu tại trạm y tế xã.")
d("d42", GD, "Công văn", "76", "SGDĐT-CTHSSV", "2023-09-05", [ANH],
  "Triển khai bảo hiểm y tế học sinh năm học 2023-2024",
  "Các trường vận động học sinh tham gia bảo hiểm y tế. Tỷ lệ tham gia bảo hiểm y tế phải đạt 100%.")
d("d43", SYT, "Kế hoạch", "9", "KH-SYT", "2024-03-03", [HOA],
  "Kế hoạch Bạch Hổ ứng phó dịch bệnh nguy hiểm",
  "Phương án Bạch Hổ: điều động lực lượng y tế dự phòng, cách ly khu vực có dịch. Tài liệu mật.",
  conf="Mật", retention="01")
d("d44", VP, "Phương án", "3", "PA-VP", "2023-12-12", [AN],
  "Phương án K9 bảo vệ mục tiêu trọng yếu",
  "Phương án K9 bố trí lực lượng bảo vệ. Ngân sách dành cho phương án được cấp riêng.",
  conf="Tối mật", retention="01")
d("d45", STC, "Công văn", "18", "STC-M", "2024-06-06", [BICH],
  "Cấp kinh phí đặc biệt",
  "Cấp kinh phí từ nguồn ngân sách dự phòng cho nhiệm vụ đặc biệt. Chữ ký số của lãnh đạo sở.",
  conf="Tuyệt mật", retention="01")

# --- giáo dục ---
d("d50", GD, "Quyết định", "112", "QĐ-UBND", "2024-03-25", [AN],
  "Phê duyệt kế hoạch tuyển sinh lớp 10 năm học 2024-2025",
  "Tuyển sinh vào lớp 10 trung học phổ thông công lập theo hình thức thi tuyển. Giáo dục thường xuyên xét tuyển.")
d("d51", GD, "Hướng dẫn", "45", "SGDĐT-GDMN", "2023-08-28", [HOA],
  "Hướng dẫn nhiệm vụ giáo dục mầm non năm học 2023-2024",
  "Nâng cao chất lượng chăm sóc, giáo dục trẻ mầm non. Bảo đảm an toàn cho trẻ tại trường.")
d("d52", GD, "Kế hoạch", "60", "KH-SGDĐT", "2024-04-02", [ANH],
  "Kế hoạch tổ chức kỳ thi tốt nghiệp trung học phổ thông",
  "Tổ chức kỳ thi nghiêm túc, an toàn. Giáo viên coi thi được tập huấn quy chế.")

# --- archive, filler, forms ---
d("d60", VP, "Quyết định", "77", "QĐ-VP", "2022-02-14", [AN],
  "Ban hành quy chế lưu trữ hồ sơ điện tử",
  "Hồ sơ điện tử được lưu trữ theo Nghị định 30/2020/NĐ-CP. Thời hạn bảo quản theo danh mục hồ sơ.",
  retention="01", file="HS-LT-01")
d("d61", VP, "Thông báo", "22", "TB-VP", "2024-06-10", [HOA],
  "Lịch tiếp công dân tháng 6",
  "Lãnh đạo tỉnh tiếp công dân vào thứ năm hằng tuần tại trụ sở tiếp công dân.")
d("d62", VP, "Giấy mời", "31", "GM-VP", "2023-11-11", [HOA],
  "Mời họp giao ban tháng 11",
  "Kính mời đại diện lãnh đạo các sở dự họp giao ban. Thời gian: 8 giờ, phòng họp số 2.")
d("d63", STC, "Báo cáo", "150", "BC-STC", "2022-12-28", [BICH],
  "Báo cáo tình hình kinh tế xã hội năm 2022",
  "Tăng trưởng kinh tế đạt 7,2%. Có 1500 hộ gia đình thoát nghèo. Thu ngân sách vượt dự toán.")
d("d64", VP, "Tờ trình", "8", "TTr-VP", "2024-05-30", [AN],
  "Tờ trình phê duyệt đề án chính quyền điện tử",
  "Đề án xây dựng chính quyền điện tử gồm cổng dịch vụ công, hệ thống thư điện tử công vụ.")
d("d65", TTTT, "Quy chế", "5", "QC-STTTT", "2023-02-20", [DUC],
  unicodedata.normalize("NFD", "Quy chế quản lý thiết bị ký điện tử"),
  unicodedata.normalize("NFD", "Quy chế quy định việc cấp phát, thu hồi thiết bị lưu khóa. "
  "Người được cấp thiết bị chịu trách nhiệm bảo quản mã PIN. Tổng đài hỗ trợ hoạt động cả ngày."))
d("d66", VP, "Quyết định", "901", "QĐ-UBND", "2021-09-09", [DUC],
  "QUYẾT ĐỊNH VỀ VIỆC THÀNH LẬP TỔ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH",
  "THÀNH LẬP TỔ CÔNG TÁC CẢI CÁCH HÀNH CHÍNH CỦA TỈNH. TỔ CÔNG TÁC CÓ NHIỆM VỤ RÀ SOÁT THỦ TỤC.")
d("d67", SYT, "Quyết định", "310", "QĐ-SYT", "2021-04-15", [ANH],
  "Cấp chứng chỉ hành nghề khám bệnh, chữa bệnh",
  "Cấp chứng chỉ hành nghề cho bác sĩ đủ điều kiện. Người hành nghề phải có chữ ký mẫu và mã số hành nghề.")
d("d68", GD, "Công văn", "130", "SGDĐT-VP", "2022-10-10", [ANH],
  "Ứng dụng công nghệ thông tin trong dạy học",
  "Khuyến khích giáo viên dùng bài giảng số. Học bạ số có ký số của hiệu trưởng thay học bạ giấy.")
d("d69", TNMT, "Thông báo", "44", "TB-TNMT", "2021-07-07", [DUNG],
  "Thông báo kết quả đấu giá quyền sử dụng đất",
  "Phiên đấu giá đạt giá trị cao. Người trúng đấu giá nộp tiền trong 30 ngày.")

d("d70", STC, "Công văn", "91", "STC-KBNN", "2022-03-16", [BICH],
  "Hướng dẫn thanh toán không dùng tiền mặt",
  "Các đơn vị thanh toán lương qua tài khoản. Kho bạc kiểm soát chi theo hồ sơ điện tử.")
d("d71", SYT, "Thông báo", "66", "TB-SYT", "2024-07-01", [HOA],
  "Lịch tiêm chủng mở rộng tháng 7",
  "Trạm y tế các xã tổ chức tiêm chủng cho trẻ dưới một tuổi. Phụ huynh mang theo sổ tiêm chủng.")
d("d72", GD, "Quyết định", "210", "QĐ-UBND", "2022-12-01", [AN],
  "Công nhận trường đạt chuẩn quốc gia",
  "Công nhận mười hai trường tiểu học đạt chuẩn quốc gia mức độ 1. Thời hạn công nhận là năm năm.")
d("d73", TTTT, "Công văn", "260", "STTTT-ATTT", "2024-08-08", [DUC],
  "Bảo đảm an toàn thông tin mạng",
  "Không lưu khóa bí mật của chữ ký điện tử trên máy tính kết nối mạng. Cập nhật bản vá định kỳ.")
d("d74", VP, "Chỉ thị", "02", "CT-UBND", "2023-01-09", [AN],
  "Tăng cường kỷ luật, kỷ cương hành chính",
  "Cán bộ chấp hành nghiêm kỷ luật lao động, kỷ cương hành chính. Người đứng đầu chịu trách nhiệm.")
d("d75", TNMT, "Quyết định", "44", "QĐ-UBND", "2024-01-02", [DUNG],
  "Ban hành bảng giá đất năm 2024",
  "Bảng giá đất áp dụng cho đất ở, đất nông nghiệp. Giá đất điều chỉnh theo vị trí thửa đất.", retention="01")
d("d76", VP, "Công văn", "510", "VP-TH", "2024-09-12", [HOA],
  "Chuẩn bị phục vụ Đại hội Đảng bộ tỉnh",
  "Văn phòng chuẩn bị tài liệu, hậu cần phục vụ Đại hội. Bảo đảm an toàn tuyệt đối.")
d("d77", STC, "Công văn", "33", "STC-THUE", "2023-07-20", [BICH],
  "Nhận diện dấu hiệu rủi ro về thuế",
  "Các dấu hiệu rủi ro gồm kê khai doanh thu thấp bất thường. Kiểm tra hóa đơn đầu vào.")

json.dump(docs, open("corpus.json", "w"), ensure_ascii=False, indent=1)
print(len(docs))
