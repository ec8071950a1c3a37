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
        "explain_relevant": "Bạn cho người biên tập quy tắc biết bài này nên có trong bản tin.",
        "explain_not_relevant": "Bạn cho người biên tập quy tắc biết bài này lẽ ra không nên có "
        "trong bản tin.",
        "outlet": "Nguồn",
        "rules": "Quy tắc khớp",
        "terms": "Từ khóa khớp",
        "note": "Ghi chú (không bắt buộc)",
        "note_hint": "Vì sao bài này liên quan hoặc không?",
        "confirm_relevant": "Xác nhận: liên quan",
        "confirm_not_relevant": "Xác nhận: không liên quan",
        "other_relevant": "Thật ra là liên quan?",
        "other_not_relevant": "Thật ra là không liên quan?",
        "thanks": "Cảm ơn bạn: phản hồi đã được ghi nhận.",
        "read": "Đọc bài viết",
        "missed_heading": "Bản tin bỏ sót một bài?",
        "missed_intro": "Dán địa chỉ của bài viết mà bản tin lẽ ra phải có. newsbot sẽ tải bài, "
        "cho biết các quy tắc nói gì về bài đó và ghi lại cho người biên tập quy tắc.",
        "url": "Địa chỉ bài viết",
        "check": "Kiểm tra và báo cáo",
        "missed_recorded": "Đã ghi nhận là bị bỏ sót. Các quy tắc nói về bài này:",
        "matched_hint": "Có quy tắc khớp: không nguồn tin nào đang theo dõi đăng bài này, người "
        "biên tập có thể thêm nguồn tin của trang này.",
        "unmatched_hint": "Chưa có quy tắc nào khớp: người biên tập quy tắc sẽ thấy bài này khi "
        "rà soát.",
        "matches": "khớp",
        "no_match": "không khớp",
        "no_terms": "Không quy tắc nào tìm thấy từ khóa của mình trong bài này.",
        "closest": "Quy tắc gần nhất",
        "fetch_failed": "Không tải được trang đó",
        "another": "Báo cáo bài khác",
        "not_found": "Bài viết này không còn được lưu.",
    },
    "ja": {
        "heading_relevant": "関連ありとして報告",
        "heading_not_relevant": "関連なしとして報告",
        "explain_relevant": "この記事はダイジェストに載せるべきだとルール編集者に伝えます。",
        "explain_not_relevant": "この記事はダイジェストに載せるべきではなかったとルール編集者に伝えます。",
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
        "missed_heading": "見落とされた記事は？",
        "missed_intro": "ダイジェストに載るべきだった記事のURLを貼り付けてください。newsbot "
        "が記事を取得し、ルールの判定を表示して、ルール編集者のために記録します。",
        "url": "記事のURL",
        "check": "確認して報告",
        "missed_recorded": "見落としとして記録しました。この記事に対するルールの判定：",
        "matched_hint": "ルールには一致します。監視中のフィードに載らなかったため、編集者がこの媒体の"
        "フィードを追加できます。",
        "unmatched_hint": "まだどのルールにも一致しません。ルール編集者がレビューで確認します。",
        "matches": "一致",
        "no_match": "不一致",
        "no_terms": "この記事にはどのルールの語句も見つかりませんでした。",
        "closest": "最も近いルール",
        "fetch_failed": "ページを取得できませんでした",
        "another": "別の記事を報告",
        "not_found": "この記事はもう保存されていません。",
    },
    "id": {
        "heading_relevant": "Tandai relevan",
        "heading_not_relevant": "Tandai tidak relevan",
        "explain_relevant": "Anda memberi tahu penyunting aturan bahwa artikel ini layak masuk "
        "ringkasan.",
        "explain_not_relevant": "Anda memberi tahu penyunting aturan bahwa artikel ini seharusnya "
        "tidak masuk ringkasan.",
        "outlet": "Media",
        "rules": "Aturan yang cocok",
        "terms": "Istilah yang cocok",
        "note": "Catatan (opsional)",
        "note_hint": "Mengapa artikel ini relevan atau tidak?",
        "confirm_relevant": "Konfirmasi: relevan",
        "confirm_not_relevant": "Konfirmasi: tidak relevan",
        "other_relevant": "Ternyata relevan?",
        "other_not_relevant": "Ternyata tidak relevan?",
        "thanks": "Terima kasih: masukan Anda telah dicatat.",
        "read": "Baca artikel",
        "missed_heading": "Ada artikel yang terlewat?",
        "missed_intro": "Tempel alamat artikel yang seharusnya masuk ringkasan. newsbot akan "
        "mengambilnya, menunjukkan penilaian aturan, dan mencatatnya untuk penyunting aturan.",
        "url": "Alamat artikel",
        "check": "Periksa dan laporkan",
        "missed_recorded": "Dicatat sebagai terlewat. Penilaian aturan untuk artikel ini:",
        "matched_hint": "Ada aturan yang cocok: tidak ada feed yang dipantau memuatnya, jadi "
        "penyunting dapat menambahkan feed media ini.",
        "unmatched_hint": "Belum ada aturan yang cocok: penyunting aturan akan melihatnya saat "
        "meninjau.",
        "matches": "cocok",
        "no_match": "tidak cocok",
        "no_terms": "Tidak ada aturan yang menemukan istilahnya di artikel ini.",
        "closest": "Aturan terdekat",
        "fetch_failed": "Halaman itu tidak dapat diambil",
        "another": "Laporkan artikel lain",
        "not_found": "Artikel ini tidak lagi tersimpan.",
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
