"""The feedback pages' words in English, Vietnamese, Japanese and Indonesian.

A page is in the item's language when it is one of these, else in the reader's browser language
(Accept-Language), else English; a label missing in one language falls back to English.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS: tuple[str, ...] = ("en", "vi", "ja", "id")

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "heading_relevant": "Mark as relevant",
        "heading_not_relevant": "Mark as not relevant",
        "explain_relevant": "You are telling the rule editors that this article belongs in the digest.",
        "explain_not_relevant": "You are telling the rule editors that this article should not "
        "have been in the digest.",
        "outlet": "Outlet",
        "rules": "Matched rules",
        "terms": "Matched terms",
        "note": "Note (optional)",
        "note_hint": "What made it relevant or not?",
        "confirm_relevant": "Confirm: relevant",
        "confirm_not_relevant": "Confirm: not relevant",
        "other_relevant": "Relevant after all?",
        "other_not_relevant": "Not relevant after all?",
        "thanks": "Thank you: your feedback was recorded.",
        "read": "Read the article",
        "missed_heading": "Missed an article?",
        "missed_intro": "Paste the address of an article the digest should have carried. newsbot "
        "fetches it, shows what its rules say about it, and records it for the rule editors.",
        "url": "Article URL",
        "check": "Check and report",
        "missed_recorded": "Recorded as missed. What the rules say about it:",
        "matched_hint": "A rule matches it: no watched feed carried it, so the rule editors may "
        "add its outlet's feed.",
        "unmatched_hint": "No rule matches it yet: the rule editors will see it in their review.",
        "matches": "matches",
        "no_match": "does not match",
        "score": "score",
        "no_terms": "No rule found any of its terms in this article.",
        "closest": "Closest rule",
        "fetch_failed": "That page could not be fetched",
        "bad_url": "Enter an http:// or https:// address.",
        "another": "Report another article",
        "bad_token": "This link is not valid (it may have been cut or changed).",
        "not_found": "This article is no longer stored.",
        "rate_limited": "Too many requests; please try again in a minute.",
        "error": "Error",
    },
    "vi": {
        "heading_relevant": "Đánh dấu là liên quan",
        "heading_not_relevant": "Đánh dấu là không liên quan",
        "explain_relevant": "Bạn báo cho người phụ trách quy tắc lọc tin rằng bài này nên có trong "
        "bản tin.",
        "explain_not_relevant": "Bạn báo cho người phụ trách quy tắc lọc tin rằng bài này lẽ ra "
        "không nên có trong bản tin.",
        "outlet": "Đầu báo",
        "rules": "Quy tắc khớp",
        "terms": "Từ khóa khớp",
        "note": "Ghi chú (không bắt buộc)",
        "note_hint": "Vì sao bài này liên quan hoặc không?",
        "confirm_relevant": "Xác nhận: liên quan",
        "confirm_not_relevant": "Xác nhận: không liên quan",
        "other_relevant": "Thật ra là liên quan?",
        "other_not_relevant": "Thật ra là không liên quan?",
        "thanks": "Cảm ơn bạn! Phản hồi đã được ghi nhận.",
        "read": "Đọc bài viết",
        "missed_heading": "Có bài bị bỏ sót?",
        "missed_intro": "Dán đường dẫn (URL) của bài viết lẽ ra phải có trong bản tin. newsbot sẽ "
        "tải bài, cho biết kết quả đối chiếu với các quy tắc và ghi lại để người phụ trách quy "
        "tắc lọc tin xem xét.",
        "url": "Đường dẫn bài viết (URL)",
        "check": "Kiểm tra và báo cáo",
        "missed_recorded": "Đã ghi nhận bài bị bỏ sót. Kết quả đối chiếu với các quy tắc:",
        "matched_hint": "Bài này khớp với quy tắc nhưng không có trong nguồn tin nào đang theo dõi; "
        "người phụ trách có thể bổ sung nguồn tin của trang này.",
        "unmatched_hint": "Chưa có quy tắc nào khớp với bài này; người phụ trách quy tắc lọc tin sẽ "
        "xem xét khi rà soát.",
        "matches": "khớp",
        "no_match": "không khớp",
        "no_terms": "Bài này không chứa từ khóa của quy tắc nào.",
        "closest": "Quy tắc gần khớp nhất",
        "score": "điểm",
        "fetch_failed": "Không tải được trang này",
        "bad_url": "Hãy nhập địa chỉ bắt đầu bằng http:// hoặc https://.",
        "another": "Báo cáo bài khác",
        "bad_token": "Liên kết này không hợp lệ (có thể đã bị cắt ngắn hoặc bị sửa).",
        "not_found": "Bài viết này không còn được lưu trữ.",
        "rate_limited": "Quá nhiều yêu cầu; vui lòng thử lại sau một phút.",
        "error": "Lỗi",
    },
    "ja": {
        "heading_relevant": "関連ありとして報告",
        "heading_not_relevant": "関連なしとして報告",
        "explain_relevant": "この記事はダイジェストに載せるべきだとルール担当者に伝えます。",
        "explain_not_relevant": "この記事はダイジェストに載せるべきではなかったとルール担当者に伝えます。",
        "outlet": "媒体",
        "rules": "一致したルール",
        "terms": "一致した語句",
        "note": "メモ（任意）",
        "note_hint": "関連がある・ない理由は？",
        "confirm_relevant": "確定：関連あり",
        "confirm_not_relevant": "確定：関連なし",
        "other_relevant": "やはり関連あり？",
        "other_not_relevant": "やはり関連なし？",
        "thanks": "ありがとうございます。フィードバックを記録しました。",
        "read": "記事を読む",
        "missed_heading": "掲載漏れの記事はありませんか？",
        "missed_intro": "ダイジェストに載るべきだった記事のURLを貼り付けてください。newsbot "
        "が記事を取得してルールの判定を表示し、ルール担当者向けに記録します。",
        "url": "記事のURL",
        "check": "確認して報告",
        "missed_recorded": "見落としとして記録しました。この記事に対するルールの判定：",
        "matched_hint": "ルールには一致しますが、監視中のフィードには載っていませんでした。担当者が"
        "この媒体のフィードを追加できます。",
        "unmatched_hint": "まだどのルールにも一致しません。ルール担当者が見直しの際に確認します。",
        "matches": "一致",
        "no_match": "不一致",
        "no_terms": "この記事にはどのルールの語句も見つかりませんでした。",
        "closest": "最も近いルール",
        "score": "スコア",
        "fetch_failed": "ページを取得できませんでした",
        "bad_url": "http:// または https:// で始まるURLを入力してください。",
        "another": "別の記事を報告",
        "bad_token": "このリンクは無効です（途中で切れているか、変更された可能性があります）。",
        "not_found": "この記事はもう保存されていません。",
        "rate_limited": "アクセスが集中しています。1分ほどしてから再度お試しください。",
        "error": "エラー",
    },
    "id": {
        "heading_relevant": "Tandai relevan",
        "heading_not_relevant": "Tandai tidak relevan",
        "explain_relevant": "Anda memberi tahu pengelola aturan bahwa artikel ini layak masuk "
        "ringkasan.",
        "explain_not_relevant": "Anda memberi tahu pengelola aturan bahwa artikel ini seharusnya "
        "tidak masuk ringkasan.",
        "outlet": "Media",
        "rules": "Aturan yang cocok",
        "terms": "Kata kunci yang cocok",
        "note": "Catatan (opsional)",
        "note_hint": "Mengapa artikel ini relevan atau tidak?",
        "confirm_relevant": "Konfirmasi: relevan",
        "confirm_not_relevant": "Konfirmasi: tidak relevan",
        "other_relevant": "Ternyata relevan?",
        "other_not_relevant": "Ternyata tidak relevan?",
        "thanks": "Terima kasih, masukan Anda telah dicatat.",
        "read": "Baca artikel",
        "missed_heading": "Ada artikel yang terlewat?",
        "missed_intro": "Tempel alamat artikel yang seharusnya masuk ringkasan. newsbot akan "
        "mengambilnya, menunjukkan penilaian aturan, dan mencatatnya untuk pengelola aturan.",
        "url": "Alamat artikel",
        "check": "Periksa dan laporkan",
        "missed_recorded": "Dicatat sebagai terlewat. Penilaian aturan untuk artikel ini:",
        "matched_hint": "Ada aturan yang cocok, tetapi artikel ini tidak dimuat feed yang dipantau; "
        "pengelola aturan dapat menambahkan feed media ini.",
        "unmatched_hint": "Belum ada aturan yang cocok; pengelola aturan akan memeriksanya saat "
        "peninjauan.",
        "matches": "cocok",
        "no_match": "tidak cocok",
        "no_terms": "Tidak ada kata kunci aturan yang ditemukan di artikel ini.",
        "closest": "Aturan paling mendekati",
        "score": "skor",
        "fetch_failed": "Halaman itu tidak dapat diambil",
        "bad_url": "Masukkan alamat yang diawali http:// atau https://.",
        "another": "Laporkan artikel lain",
        "bad_token": "Tautan ini tidak valid (mungkin terpotong atau telah diubah).",
        "not_found": "Artikel ini tidak lagi tersimpan.",
        "rate_limited": "Terlalu banyak permintaan; silakan coba lagi dalam satu menit.",
        "error": "Kesalahan",
    },
}


def page_lang(item_lang: str | None, accept_language: str | None) -> str:
    """The item's language when we have labels for it, else the browser's first one we have."""
    for tag in [item_lang or "", *(accept_language or "").split(",")]:
        code = tag.split(";")[0].strip().split("-")[0].split("_")[0].lower()
        if code in LANGS:
            return code
    return "en"


def labels(lang: str) -> dict[str, str]:
    """Every label in `lang`, English where it has none."""
    return {**LABELS["en"], **LABELS.get(lang, {})}
