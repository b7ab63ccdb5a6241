"""Text analysis for BM25: jieba search-mode words, character unigrams and bigrams.

Shoppers misspell, abbreviate in pinyin (tk = 退款) and write without spaces, so words alone
miss many matches; characters and character pairs still match "退宽" to "退款" by 退 and keep
word order evidence ("退货" is not "货退"). Function words and generic question words
(怎么, 如何, 可以 …) carry no topic and are dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jieba

from knowledge_base.textnorm import normalize

jieba.setLogLevel(60)

# Pinyin initials shoppers type for frequent after-sales words (tk = tuì kuǎn = 退款).
ABBREVIATIONS = {
    "tk": "退款",
    "th": "退货",
    "hh": "换货",
    "wl": "物流",
    "fh": "发货",
    "yf": "运费",
    "yfx": "运费险",
    "kd": "快递",
    "kf": "客服",
    "zb": "主播",
    "dd": "订单",
    "bf": "补发",
    "sh": "售后",
    "zp": "正品",
    "yhq": "优惠券",
    "fp": "发票",
}

# Words jieba's general dictionary splits or misses, kept whole so they weigh as one term.
DOMAIN_WORDS = (
    "仅退款",
    "退货退款",
    "退差价",
    "运费险",
    "七天无理由",
    "无理由",
    "价保",
    "价格保护",
    "补发",
    "换货",
    "福袋",
    "预售",
    "三包",
    "转人工",
    "人工客服",
    "快递柜",
    "驿站",
    "开箱视频",
    "盗刷",
    "满减",
    "返利",
    "补偿券",
    "工单",
    "售后",
    "签收",
    "拒收",
    "直播间",
    "主播",
    "花呗",
    "12315",
    "消协",
)

# Function words, pronouns, particles and generic question words: no topic in them.
STOPWORDS = frozenset(
    """
    的 地 得 了 着 过 吗 呢 啊 呀 吧 么 嘛 哦 哈 啦 呐 噢 喔 哎 诶 嗯 呗 哇 咯 滴
    我 你 您 他 她 它 我们 你们 他们 咱 咱们 自己 人家
    是 在 有 就 都 也 还 又 再 才 很 太 挺 更 最 和 跟 与 及 或 或者
    把 被 给 让 对 从 向 到底 这 那 这个 那个 这样 那样 这么 那么 这种 那种
    一下 一个 个 一 些 一些 怎么 怎样 怎么办 怎么样 如何 什么 啥 为什么 为啥 咋 咋办
    多少 哪 哪里 哪儿 可以 能 能否 能不能 可不可以 会 会不会 要 想
    请问 请 麻烦 亲 谢谢 好的 好 一般 还是
    """.split()  # noqa: SIM905 - a word list reads best as words
)
# Characters that only ever spell the words above: no unigram for them.
STOP_CHARACTERS = frozenset(w for w in STOPWORDS if len(w) == 1) | frozenset("怎什为哪咋")

_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_ASCII_WORD = re.compile(r"[a-z]+")
_NOT_A_TERM = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """A private jieba tokenizer with the domain words; the global one stays untouched."""
    tokenizer = jieba.Tokenizer()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=20000)
    return tokenizer


def expand_abbreviations(text: str) -> str:
    """Replace whole pinyin abbreviations (tk, wl …) with the words they stand for."""
    return _ASCII_WORD.sub(lambda m: ABBREVIATIONS.get(m.group(), f" {m.group()} "), text)


def analyze(text: str) -> list[str]:
    """BM25 terms of a text: words, then `~`-prefixed character unigrams and bigrams."""
    text = expand_abbreviations(normalize(text).lower())
    terms = [
        word
        for word in _segmenter().lcut_for_search(text)
        if word.strip() and word not in STOPWORDS and not _NOT_A_TERM.fullmatch(word)
    ]
    for run in _CJK_RUN.findall(text):
        terms.extend(f"~{char}" for char in run if char not in STOP_CHARACTERS)
        terms.extend(f"~{run[i : i + 2]}" for i in range(len(run) - 1))
    return terms
