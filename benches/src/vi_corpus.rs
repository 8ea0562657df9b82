//! A deterministic generated corpus of Vietnamese administrative documents (for the search
//! benchmark): words drawn with a Zipf-like law from a vocabulary of administrative words and
//! phrases with their tone marks, with metadata, and a mixed query set over the same vocabulary.

/// SplitMix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Administrative words and phrases, most frequent first (the order sets the Zipf rank).
pub const VOCABULARY: &str = "của|và|các|theo|được|trong|cho|về|việc|có|thực hiện|quy định|cơ quan|đơn vị|\
ủy ban nhân dân|tỉnh|huyện|xã|nhà nước|văn bản|tổ chức|cán bộ|công chức|quản lý|trách nhiệm|báo cáo|\
kế hoạch|triển khai|hướng dẫn|đề nghị|đảm bảo|kịp thời|hiệu quả|năm|tháng|ngày|số|liên quan|nội dung|\
thủ tục hành chính|hồ sơ|giải quyết|người dân|doanh nghiệp|ngân sách|dự toán|kinh phí|tài chính|đầu tư|\
công trình|dự án|xây dựng|đất đai|quyền sử dụng đất|giấy chứng nhận|thu hồi đất|bồi thường|tái định cư|\
môi trường|tài nguyên|khoáng sản|nước sạch|y tế|bệnh viện|trạm y tế|phòng chống dịch|tiêm chủng|\
bảo hiểm y tế|giáo dục|đào tạo|học sinh|giáo viên|trường học|năm học|tuyển sinh|chữ ký số|chứng thư số|\
văn bản điện tử|chuyển đổi số|an toàn thông tin|cổng dịch vụ công|thư điện tử|lưu trữ|văn thư|con dấu|\
đóng dấu|phê duyệt|ban hành|sửa đổi|bổ sung|thay thế|bãi bỏ|hiệu lực|thi hành|chỉ đạo|điều hành|\
phối hợp|kiểm tra|thanh tra|giám sát|xử lý vi phạm|khiếu nại|tố cáo|tiếp công dân|cải cách hành chính|\
kỷ luật|kỷ cương|thi đua|khen thưởng|tổng kết|sơ kết|họp|hội nghị|giao ban|lãnh đạo|chủ tịch|phó chủ tịch|\
giám đốc|phó giám đốc|trưởng phòng|chuyên viên|văn phòng|sở tài chính|sở y tế|sở giáo dục và đào tạo|\
sở tài nguyên và môi trường|sở thông tin và truyền thông|sở nội vụ|sở kế hoạch và đầu tư|kho bạc|thuế|\
hải quan|ngân hàng|tín dụng|nông nghiệp|nông thôn mới|thủy lợi|đê điều|phòng chống thiên tai|bão lũ|\
hạn hán|xăng dầu|giá cả|thị trường|thương mại|công nghiệp|giao thông|đường bộ|cầu|vận tải|du lịch|\
văn hóa|thể thao|di tích|lễ hội|dân tộc|tôn giáo|quốc phòng|an ninh|trật tự|công an|quân sự|dân quân|\
lao động|việc làm|bảo hiểm xã hội|người có công|trẻ em|bình đẳng giới|giảm nghèo|hộ nghèo|an sinh|\
đậu tương|cà phê|hồ tiêu|lúa gạo|chăn nuôi|thú y|dịch tả lợn|lâm nghiệp|rừng phòng hộ|cháy rừng|\
thủy sản|đánh bắt|biển đảo|biên giới|cửa khẩu|xuất khẩu|nhập khẩu|đối ngoại|hợp tác quốc tế|\
khoa học|công nghệ|sáng kiến|sở hữu trí tuệ|tiêu chuẩn|đo lường|chất lượng|an toàn thực phẩm|\
ô nhiễm|rác thải|nước thải|khí thải|quan trắc|đánh giá tác động|quy hoạch|kiến trúc|đô thị|nhà ở|\
chung cư|giải phóng mặt bằng|đấu giá|đấu thầu|mua sắm|tài sản công|nợ công|quyết toán|kiểm toán|\
phòng chống tham nhũng|kê khai tài sản|minh bạch|công khai|dân chủ|mặt trận|đoàn thể|hội phụ nữ|\
đoàn thanh niên|cựu chiến binh|hội nông dân|công đoàn|biên chế|tuyển dụng|bổ nhiệm|luân chuyển|\
nghỉ hưu|tinh giản|vị trí việc làm|đạo đức công vụ|văn hóa công sở|đồng bào|miền núi|hải đảo|\
sạt lở|ngập úng|hồ chứa|đập thủy điện|điện lực|năng lượng tái tạo|điện mặt trời|viễn thông|\
bưu chính|báo chí|xuất bản|phát thanh|truyền hình|tuyên truyền|phổ biến pháp luật|trợ giúp pháp lý|\
hộ tịch|chứng thực|công chứng|thi hành án|tư pháp|lý lịch tư pháp|quốc tịch|con nuôi|hòa giải|\
Đắk Lắk|Quảng Ngãi|Thừa Thiên Huế|Bà Rịa|Vũng Tàu|Điện Biên|Hà Giang|Cà Mau|Sóc Trăng|Kon Tum";

/// Syllables of the generated proper names (villages, companies, projects, people): the long tail
/// of a real archive, each name in a few dozen documents of 100,000.
pub const NAME_SYLLABLES: &str = "An|Bình|Cát|Châu|Chiến|Cường|Đại|Đông|Đức|Giang|Hà|Hải|Hạnh|Hòa|Hoàng|Hồng|Hưng|\
Hương|Khánh|Kim|Lạc|Lâm|Lộc|Long|Lợi|Mỹ|Minh|Nam|Nghĩa|Ngọc|Nhân|Phong|Phú|Phúc|Phước|Quang|Quế|\
Sơn|Tân|Thạch|Thái|Thành|Thắng|Thịnh|Thọ|Thuận|Thủy|Tiến|Trung|Trường|Tú|Tường|Văn|Việt|Vinh|Xuân|\
Yên|Ấn|Bắc|Cẩm|Diên|Điền|Gia|Hiệp|Hội|Khê|Lương|Mai|Ninh|Phổ|Quý|Sa|Tây|Thanh|Trà|Tuy|Uyên|Vạn|Vĩnh|\
Xá|Ba|Cao|Dương|Hậu|Kỳ|Lập|Mậu|Nhuận|Ô|Quỳnh|Sùng|Tịnh|Ứng|Vân|Dũng|Khoa|Bảo|Đào|Lê";

const NAME_KINDS: [&str; 6] = [
    "thôn",
    "xã",
    "công ty",
    "dự án",
    "hợp tác xã",
    "cụm công nghiệp",
];

fn name_syllables() -> Vec<&'static str> {
    NAME_SYLLABLES.split('|').map(str::trim).collect()
}

/// A proper name of two syllables.
pub fn name(rng: &mut Rng, syllables: &[&str]) -> String {
    format!(
        "{} {}",
        rng.pick::<&str>(syllables),
        rng.pick::<&str>(syllables)
    )
}

/// The vocabulary as a list, most frequent first.
pub fn vocabulary() -> Vec<&'static str> {
    VOCABULARY.split('|').map(str::trim).collect()
}

/// Samples vocabulary indices with probability ∝ 1/(rank+1)^0.9.
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize) -> Self {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|i| {
                acc += 1.0 / ((i + 1) as f64).powf(0.9);
                acc
            })
            .collect();
        Zipf { cumulative }
    }
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1.0);
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
        self.cumulative
            .partition_point(|&c| c < x)
            .min(self.cumulative.len() - 1)
    }
}

/// One generated document.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub organ_id: String,
    pub organ_name: String,
    pub type_name: String,
    pub number: String,
    pub notation: String,
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub signer: String,
}

const ORGANS: [(&str, &str, &str); 6] = [
    ("H12.01", "Văn phòng Ủy ban nhân dân tỉnh", "UBND"),
    ("H12.05", "Sở Tài chính", "STC"),
    ("H12.09", "Sở Tài nguyên và Môi trường", "STNMT"),
    ("H12.12", "Sở Y tế", "SYT"),
    ("H12.15", "Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("H12.20", "Sở Thông tin và Truyền thông", "STTTT"),
];
const TYPES: [(&str, &str); 6] = [
    ("Công văn", ""),
    ("Quyết định", "QĐ-"),
    ("Kế hoạch", "KH-"),
    ("Báo cáo", "BC-"),
    ("Thông báo", "TB-"),
    ("Tờ trình", "TTr-"),
];
const SURNAMES: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng", "Bùi", "Võ"];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Minh", "Hoàng", "Thu", "Đức"];
const GIVEN: [&str; 10] = [
    "An", "Bích", "Dũng", "Đức", "Hoa", "Hùng", "Lan", "Nam", "Phương", "Tâm",
];

/// Generates document `i` of the corpus (deterministic in `i`), about `bytes` of body text.
pub fn document(i: usize, bytes: usize, vocab: &[&str], zipf: &Zipf) -> Doc {
    let mut rng = Rng::new(0x5713_1E00 ^ (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let (organ_id, organ_name, short) = *rng.pick(&ORGANS);
    let (type_name, prefix) = *rng.pick(&TYPES);
    let mut subject = String::from("Về việc");
    for _ in 0..2 + rng.below(4) {
        subject.push(' ');
        subject.push_str(vocab[zipf.sample(&mut rng)]);
    }
    let syllables = name_syllables();
    let mut body = String::with_capacity(bytes + 200);
    while body.len() < bytes {
        if rng.below(3) == 0 {
            body.push_str("Tại ");
            body.push_str(rng.pick::<&str>(&NAME_KINDS));
            body.push(' ');
            body.push_str(&name(&mut rng, &syllables));
            body.push_str(", ");
        }
        let words = 8 + rng.below(14);
        for w in 0..words {
            let word = vocab[zipf.sample(&mut rng)];
            if w == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    body.extend(first.to_uppercase());
                    body.push_str(chars.as_str());
                }
            } else {
                body.push(' ');
                body.push_str(word);
            }
            if w + 1 < words && rng.below(9) == 0 {
                body.push(',');
            }
        }
        body.push_str(". ");
    }
    let signer = format!(
        "{} {} {}",
        rng.pick(&SURNAMES),
        rng.pick(&MIDDLE),
        rng.pick(&GIVEN)
    );
    Doc {
        id: format!("{i:016x}"),
        subject,
        body,
        organ_id: organ_id.to_string(),
        organ_name: organ_name.to_string(),
        type_name: type_name.to_string(),
        number: (1 + rng.below(2000)).to_string(),
        notation: format!("{prefix}{short}"),
        year: 2015 + rng.below(11) as i32,
        month: 1 + rng.below(12) as u8,
        day: 1 + rng.below(28) as u8,
        signer,
    }
}

/// Folds Vietnamese marks (đ→d) the simple way, for unaccented queries.
pub fn unaccent(s: &str) -> String {
    stele_index::analyzer::fold(s)
}

/// One benchmark query: words (all required) and at most one phrase.
#[derive(Clone, Debug)]
pub struct BenchQuery {
    /// Category for the report: common, rare, unaccented, phrase, …
    pub kind: &'static str,
    /// Stele's syntax (`"…"` for phrases).
    pub stele: String,
    /// FTS5 MATCH syntax over the same words (each word or phrase quoted).
    pub fts5: String,
}

fn fts5_words(words: &str) -> String {
    words
        .split_whitespace()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `n` mixed queries over the vocabulary: common and rare words (half of the rare ones proper
/// names), accented and unaccented, quoted phrases, two-term conjunctions.
pub fn queries(n: usize, vocab: &[&str]) -> Vec<BenchQuery> {
    let mut rng = Rng::new(42);
    let common = &vocab[..40];
    let rare = &vocab[vocab.len() - 80..];
    let phrases: Vec<&str> = vocab.iter().copied().filter(|w| w.contains(' ')).collect();
    let syllables = name_syllables();
    let rare_word = |rng: &mut Rng, i: usize| -> String {
        if i % 16 < 8 {
            rng.pick::<&str>(rare).to_string()
        } else {
            name(rng, &syllables)
        }
    };
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (kind, stele, fts5) = match i % 8 {
            0 => {
                let w = rng.pick(common).to_string();
                ("common", w.clone(), fts5_words(&w))
            }
            1 => {
                let w = rare_word(&mut rng, i);
                ("rare", w.clone(), fts5_words(&w))
            }
            2 => {
                let w = unaccent(rng.pick::<&str>(common));
                ("common unaccented", w.clone(), fts5_words(&w))
            }
            3 => {
                let w = unaccent(&rare_word(&mut rng, i + 8));
                ("rare unaccented", w.clone(), fts5_words(&w))
            }
            4 => {
                let p = rng.pick(&phrases).to_string();
                ("phrase", format!("\"{p}\""), format!("\"{p}\""))
            }
            5 => {
                let p = unaccent(rng.pick::<&str>(&phrases));
                ("phrase unaccented", format!("\"{p}\""), format!("\"{p}\""))
            }
            6 => {
                let w = format!("{} {}", rng.pick(common), rng.pick(&vocab[40..]));
                ("two terms", w.clone(), fts5_words(&w))
            }
            _ => {
                let w = format!("{} {}", rng.pick(&vocab[40..]), rare_word(&mut rng, i + 1));
                ("two rarer terms", w.clone(), fts5_words(&w))
            }
        };
        out.push(BenchQuery { kind, stele, fts5 });
    }
    out
}
