"""Runs in the Rasa environment (Python 3.10): the custom NLU components on real Rasa objects.

Called by tests/bot/test_nlu_components.py, which runs in the other environment and asserts on
the JSON this prints. Nothing is mocked: components are created, trained and run as Rasa does.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from components.char_ngram_classifier import CharNgramIntentClassifier
from components.normalizer import TextNormalizer
from components.order_id_extractor import OrderIdExtractor
from components.remedy_classifier import RemedyValueClassifier
from components.remedy_resolver import RemedyResolver
from components.sentence_encoder_featurizer import SentenceEncoderFeaturizer
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def entities(message: Message) -> list[dict[str, Any]]:
    return [
        {"entity": e["entity"], "value": e["value"], "extractor": e.get("extractor")}
        for e in message.get("entities", [])
    ]


def remedy(start: int, end: int, value: str) -> dict[str, Any]:
    return {"entity": "remedy", "start": start, "end": end, "value": value}


def check_remedy_resolver(storage: LocalModelStorage, context: ExecutionContext) -> dict[str, Any]:
    examples = [
        Message(
            data={
                "text": "给我补偿吧",
                "intent": "request_remedy",
                "entities": [remedy(2, 4, "compensation")],
            }
        ),
        Message(
            data={"text": "我要退款", "intent": "request_remedy", "entities": [remedy(2, 4, "refund_only")]}
        ),
        Message(
            data={"text": "给个说法", "intent": "request_remedy", "entities": [remedy(0, 4, "investigate")]}
        ),
        Message(data={"text": "补发吧", "intent": "request_remedy", "entities": [remedy(0, 2, "reship")]}),
        Message(
            data={
                "text": "退货退款吧",
                "intent": "request_remedy",
                "entities": [remedy(0, 4, "return_refund")],
            }
        ),
        Message(data={"text": "道歉吧", "intent": "request_remedy", "entities": [remedy(0, 2, "apology")]}),
        Message(data={"text": "换货吧", "intent": "request_remedy", "entities": [remedy(0, 2, "exchange")]}),
        Message(
            data={"text": "催一下吧", "intent": "request_remedy", "entities": [remedy(0, 3, "expedite")]}
        ),
    ]
    data = TrainingData(
        training_examples=examples,
        entity_synonyms={"退钱": "refund_only"},
        regex_features=[
            {"name": "remedy_reship", "pattern": "重新(发|寄|给我寄)"},
            {"name": "remedy_nonsense", "pattern": "随便"},  # no annotation has this value: ignored
        ],
    )
    resolver = RemedyResolver.create({}, storage, Resource("remedy"), context)
    resolver.train(data)
    loaded = RemedyResolver.load({}, storage, Resource("remedy"), context)

    def run(text: str, intent: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        message = Message(data={"text": text, "intent": {"name": intent}, "entities": found})
        loaded.process([message])
        return entities(message)

    return {
        "wandering_span": run(
            "补偿点优惠券吧",
            "request_remedy",
            [remedy(0, 3, "补偿点"), {"entity": "remedy", "start": 3, "end": 6, "value": "优惠券"}],
        ),
        "canonical_kept": run("退款吧", "request_remedy", [remedy(0, 2, "refund_only")]),
        "request_position": run("东西坏了，退钱吧", "report_quality_defect", []),
        "complaint_about_refund": run("退款一直没到账", "report_refund_problem", []),
        "negated": run("不想退钱了", "report_quality_defect", []),
        "question_intent": run("退钱吧是什么意思", "ask_faq", []),
        "pattern": run("少了一件，麻烦重新给我寄一个吧", "report_wrong_or_missing_item", []),
        "pattern_span": run("重新给我寄吧", "request_remedy", [remedy(0, 3, "重新给")]),
        "unknown_value": run("随便吧", "request_remedy", []),
        "process_clause": run("申请退款一周了还没到", "report_refund_problem", [remedy(2, 4, "refund_only")]),
        "request_beside_process": run("我要退款，都一周了", "report_refund_problem", []),
        "implied": run(
            "东西我寄回，钱退给我",
            "request_remedy",
            [remedy(3, 5, "return_refund"), remedy(6, 10, "refund_only")],
        ),
        "coupon_sent_again": run("积分没到账，补发给我", "report_promotion_rules", [remedy(6, 8, "reship")]),
        "parcel_sent_again": run(
            "少了一双袜子，补发给我", "report_wrong_or_missing_item", [remedy(7, 9, "reship")]
        ),
        "money_sent_again": run("满减的钱补给我", "report_promotion_rules", [remedy(4, 7, "reship")]),
        "part_of_the_price": run("多收的运费退给我", "report_promotion_rules", [remedy(5, 8, "refund_only")]),
        "points_given_back": run("积分退回来就行", "report_promotion_rules", [remedy(2, 5, "return_refund")]),
        "money_taken_back": run(
            "被人盗刷了，退掉", "report_payment_security", [remedy(6, 8, "return_refund")]
        ),
        "hurried_refund": run("半个月了，催一下退款", "report_refund_problem", [remedy(7, 9, "refund_only")]),
        "two_joined": run("坏得太离谱，退款并道歉", "report_quality_defect", [remedy(6, 11, "退款并道歉")]),
        "only_asks": run("换货谢谢", "request_remedy", []),
        "only_asks_question": run("换货时要寄回吗", "request_remedy", []),
        "not_this_one": run("要的是退款，不是换货", "inform", [remedy(8, 10, "exchange")]),
        "second_thoughts": run(
            "退款吧，不对，还是换货吧",
            "request_remedy",
            [remedy(0, 2, "refund_only"), remedy(9, 11, "exchange")],
        ),
        "sends_back": run(
            "不喜欢，给我退款，我寄回去", "report_not_as_described", [remedy(6, 8, "refund_only")]
        ),
        "cannot_send_back": run(
            "碎成这样了，退款吧，也没法寄回", "report_damaged_in_transit", [remedy(6, 8, "refund_only")]
        ),
        "part_replaced": run("拉链坏了，给我换条拉链", "report_quality_defect", [remedy(7, 11, "exchange")]),
        "part_kept_back": run("碎的那瓶钱退我", "report_damaged_in_transit", [remedy(4, 7, "refund_only")]),
        "status_hurried": run("麻烦帮我催一下售后，看看到哪了", "check_status", []),
        "status_hurried_before": run("都催一下了，售后到哪了", "check_status", []),
        "status_refund": run("退款到哪了，我要退款", "check_status", [remedy(7, 9, "refund_only")]),
        "whole_charge": run(
            "扣了两次，多扣的那笔退我", "report_order_anomaly", [remedy(10, 12, "refund_only")]
        ),
        "meant_before": run(
            "本来想退货的，算了，补发吧",
            "report_wrong_or_missing_item",
            [remedy(3, 5, "return_refund"), remedy(10, 12, "reship")],
        ),
        "meant_before_alone": run(
            "本来想退货的，后来客服一直不回", "report_service_complaint", [remedy(3, 5, "return_refund")]
        ),
        "refused_after": run(
            "换货太麻烦了，给我补偿吧", "report_damaged_in_transit", [remedy(0, 2, "exchange")]
        ),
        "lazy_to_return": run(
            "懒得退货了，给我补偿吧", "report_quality_defect", [remedy(2, 4, "return_refund")]
        ),
        "not_wanted": run("我不想要补偿，给我补发", "report_logistics_lost", []),
        "old_goes_back": run("先重新寄一个过来，旧的我寄回去", "request_remedy", []),
        "difference_back": run("这差价你们要补给我", "report_order_anomaly", [remedy(6, 9, "reship")]),
        "amount_back": run(
            "门板凹了一块，给我退两百算了", "report_damaged_in_transit", [remedy(9, 12, "refund_only")]
        ),
        "hurry_glued": run(
            "少了一件，尽快补发",
            "report_wrong_or_missing_item",
            [remedy(5, 7, "expedite"), remedy(7, 9, "reship")],
        ),
        "threatened": run("再不发货我就申请退款了", "report_logistics_delay", [remedy(8, 10, "refund_only")]),
        "fallback_threat": run(
            "给我补偿吧，不然就退货退款",
            "report_not_as_described",
            [remedy(2, 4, "compensation"), remedy(9, 13, "return_refund")],
        ),
        "told_what_to_do": run("再不到就退款", "report_logistics_delay", [remedy(4, 6, "refund_only")]),
        "quoted": run("客服说会补发，到现在都没有", "report_wrong_or_missing_item", [remedy(4, 6, "reship")]),
        "quoted_to_ask": run("按主播说的给我换货", "report_false_advertising", [remedy(7, 9, "exchange")]),
        "named_case": run(
            "我那个换货的事催一下吧",
            "report_service_complaint",
            [remedy(3, 5, "exchange"), remedy(7, 10, "expedite")],
        ),
        "courier_changed": run("快递能不能换一家", "report_logistics_lost", [remedy(5, 7, "exchange")]),
        "mended": run("裂了一条缝，能上门修补一下吗", "report_quality_defect", [remedy(10, 11, "reship")]),
        "hurried_new_refund": run(
            "扣了两次，请尽快退还多扣的款项", "report_order_anomaly", [remedy(6, 9, "expedite")]
        ),
        "hurried_refund_under_way": run(
            "退款申请了一周还没到，尽快退吧", "report_refund_problem", [remedy(11, 14, "expedite")]
        ),
        "rest_back": run(
            "只退了120，剩下的36块给我退回来", "report_refund_problem", [remedy(15, 18, "refund_only")]
        ),
        "corrected_to": run(
            "我要退款，哦不对，是换货",
            "request_remedy",
            [remedy(2, 4, "refund_only"), remedy(10, 12, "exchange")],
        ),
        "quote_taken_up": run(
            "客服说可以给我补偿个优惠券，那就麻烦给我发一张吧",
            "report_promotion_rules",
            [remedy(7, 9, "compensation")],
        ),
        "withdrawn": run(
            "那个退差价的申请我不要了，给我补发就行",
            "report_wrong_or_missing_item",
            [remedy(2, 5, "partial_refund"), remedy(15, 17, "reship")],
        ),
        "not_pressed": run("等了三天，商家也不点退款", "report_refund_problem", []),
        "not_sent_back": run("能不能直接退钱不寄回去了", "request_remedy", [remedy(5, 7, "return_refund")]),
        "fee_back": run(
            "会员费白交了，把会员费退给我", "report_promotion_rules", [remedy(11, 14, "refund_only")]
        ),
        "said_before": run(
            "买的时候说支持30天价保，现在降价了", "report_promotion_rules", [remedy(10, 12, "partial_refund")]
        ),
        "asked_before": run(
            "我只是问能不能换颜色，就被骂了", "report_service_complaint", [remedy(7, 10, "exchange")]
        ),
        "hypothetical": run("如果退款，运费谁出", "report_promotion_rules", []),
        "applied_for_me": run("包裹丢了，可以先帮我申请退款吗", "report_refund_problem", []),
        "cancel_never": run(
            "拼单那个我不搞售后了，团长已经私下补给我了", "cancel", [remedy(17, 20, "reship")]
        ),
        "corrected_want": run(
            "我想退款，不对，我想要个道歉",
            "request_remedy",
            [remedy(2, 4, "refund_only"), remedy(12, 14, "apology")],
        ),
        "not_received_yet": run(
            "商品已寄回，至今未收到退款", "report_refund_problem", [remedy(11, 13, "refund_only")]
        ),
        "coupon_again": run(
            "抢的红包付款时就没了，能给我补一个吗", "report_promotion_rules", [remedy(14, 17, "reship")]
        ),
    }


def check_remedy_classifier(storage: LocalModelStorage, context: ExecutionContext) -> dict[str, Any]:
    """Trained on a few lines, run after what the resolver found (or did not)."""

    def line(text: str, intent: str, value: str = "", span: str = "") -> Message:
        found = [] if not value else [remedy(text.index(span), text.index(span) + len(span), value)]
        return Message(data={"text": text, "intent": intent, "entities": found})

    examples = [
        line("帮我跟进一下物流", "report_logistics_delay", "expedite", "跟进一下"),
        line("麻烦跟进下进度 催一催", "report_logistics_delay", "expedite", "催一催"),
        line("快递好几天不动了 帮忙跟进", "report_logistics_delay", "expedite", "跟进"),
        line("东西我寄回去 钱退给我", "report_quality_defect", "return_refund", "钱退给我"),
        line("我把货寄回去 你们把钱退了", "report_quality_defect", "return_refund", "把钱退了"),
        line("寄回去以后退钱", "report_quality_defect", "return_refund", "退钱"),
        line("直接退钱 不用寄回", "report_quality_defect", "refund_only", "退钱"),
        line("快递三天没动了", "report_logistics_delay"),
        line("杯子有裂纹", "report_quality_defect"),
        line("物流一直没更新", "report_logistics_delay"),
        line("退款多久到账", "ask_faq"),
    ]
    config = {"add_threshold": 0.3, "swap_threshold": 0.3}
    classifier = RemedyValueClassifier.create(config, storage, Resource("remedy_lr"), context)
    classifier.train(TrainingData(training_examples=examples))
    loaded = RemedyValueClassifier.load(config, storage, Resource("remedy_lr"), context)
    untrained_reading = list(
        RemedyValueClassifier.load(config, storage, Resource("never_trained"), context).reading(
            "帮忙跟进一下"
        )
    )

    def run(text: str, intent: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        message = Message(data={"text": text, "intent": {"name": intent}, "entities": found})
        loaded.process([message])
        return [{**e, "span": text[e["start"] : e["end"]]} for e in entities_with_spans(message)]

    return {
        "reading": list(loaded.reading("帮忙跟进一下快递")),
        "added": run("帮忙跟进一下快递", "report_logistics_delay", []),
        "swapped": run("东西寄回去了 钱退给我吧", "report_quality_defect", [remedy(7, 11, "refund_only")]),
        "question_left_alone": run("帮忙跟进一下快递", "ask_faq", []),
        "two_left_alone": run(
            "帮忙跟进一下 钱退给我",
            "report_quality_defect",
            [remedy(0, 6, "expedite"), remedy(7, 11, "refund_only")],
        ),
        "none_reading": run("杯子有裂纹了", "report_quality_defect", []),
        "untrained": untrained_reading,
    }


def entities_with_spans(message: Message) -> list[dict[str, Any]]:
    return [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor")}
        for e in message.get("entities", [])
    ]


def check_order_id_extractor(context: ExecutionContext) -> dict[str, Any]:
    extractor = OrderIdExtractor.create({}, None, Resource("order"), context)  # type: ignore[arg-type]

    def run(text: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        message = Message(data={"text": text, "entities": found})
        extractor.process([message])
        return entities(message)

    amount_by_diet = {"entity": "amount", "start": 2, "end": 5, "value": "159", "extractor": "DIETClassifier"}
    amount_by_regex = {
        "entity": "amount",
        "start": 2,
        "end": 6,
        "value": "159元",
        "extractor": "RegexEntityExtractor",
    }
    return {
        "order_and_phone": run("订单2025-1123-1234-5678，电话138 1234 5678", []),
        "guessed_order_replaced": run(
            "我的手机13812345678",
            [
                {
                    "entity": "order_id",
                    "start": 4,
                    "end": 15,
                    "value": "13812345678",
                    "extractor": "DIETClassifier",
                }
            ],
        ),
        "amount_once": run("实付159元", [amount_by_diet, amount_by_regex]),
        "ticket_id": run("工单T2026112512345678处理到哪了", []),
        "corrected": run("订单号2025112312345678，打错了，是2025112312345687", []),
        "two_orders": run("订单2025112312345678和2025112398765432都没到", []),
    }


def check_char_ngram_classifier(storage: LocalModelStorage, context: ExecutionContext) -> dict[str, Any]:
    texts = {
        "inform": [
            "2025112312345678",
            "订单号2025112398765432",
            "单号 DY20251120334455",
            "我的订单2025112011112222",
        ],
        "report_not_as_described": [
            "东西和直播间说的不一样",
            "跟描述的不一样",
            "实物和图片差太多",
            "货不对板",
            "和描述的不一样 refund",
        ],
    }
    examples = [Message(data={"text": t, "intent": intent}) for intent, ts in texts.items() for t in ts]
    classifier = CharNgramIntentClassifier.create({"weight": 1.0}, storage, Resource("lr"), context)
    classifier.train(TrainingData(training_examples=examples))
    loaded = CharNgramIntentClassifier.load({"weight": 1.0}, storage, Resource("lr"), context)
    message = Message(data={"text": "单号 2026-0101-5555-6666 的东西和直播间说的不一样"})
    loaded.process([message])
    plain = Message(data={"text": "2026010155556666"})
    loaded.process([plain])
    mash, familiar = Message(data={"text": "asdfghjkl"}), Message(data={"text": "这个和直播间说的不一样"})
    latin_mash, latin = Message(data={"text": "undref fundre"}), Message(data={"text": "货不对板 order"})
    loaded.process([mash, familiar, latin_mash, latin])
    # In the ensemble, DIET (which reads the digits) says inform; the masked reader disagrees.
    ensemble = CharNgramIntentClassifier.create({"weight": 0.5}, storage, Resource("lr2"), context)
    ensemble.train(TrainingData(training_examples=examples))
    diet_says_inform = [
        {"name": "inform", "confidence": 0.9},
        {"name": "report_not_as_described", "confidence": 0.1},
    ]

    def with_diet(text: str) -> str:
        message = Message(data={"text": text, "intent_ranking": diet_says_inform})
        ensemble.process([message])
        return str(message.get("intent")["name"])

    return {
        "complaint_with_order": message.get("intent")["name"],
        "bare_number": plain.get("intent")["name"],
        "mash_confidence": mash.get("intent")["confidence"],
        "familiar_confidence": familiar.get("intent")["confidence"],
        "latin_mash_confidence": latin_mash.get("intent")["confidence"],
        "latin_with_han_confidence": latin.get("intent")["confidence"],
        "diet_pulled_by_digits": with_diet("单号 2026-0202-7777-8888 的东西和直播间说的不一样"),
        "diet_without_digits": with_diet("东西和直播间说的不一样"),
        "diet_on_a_bare_number": with_diet("订单 2026020277778888"),
    }


def check_dense_intents(storage: LocalModelStorage, context: ExecutionContext) -> dict[str, Any]:
    """The sentence-vector half of the ensemble alone (weight 0, dense_weight 1), on the int8
    encoder: paraphrases that share few characters with the training lines."""
    texts = {
        "track_order": ["我的快递到哪里了", "物流怎么还不更新", "包裹现在到哪一站了", "什么时候能送到"],
        "report_quality_defect": ["东西坏了", "用了一天就不能用了", "开关按不动", "屏幕裂了一道缝"],
        "request_invoice": ["我要开发票", "帮我开个电子发票", "发票抬头写公司", "增值税票怎么开"],
    }
    config = {"weight": 0.0, "dense_weight": 1.0, "dense_C": 10.0}
    examples = [Message(data={"text": t, "intent": intent}) for intent, ts in texts.items() for t in ts]
    classifier = CharNgramIntentClassifier.create(config, storage, Resource("dense"), context)
    classifier.train(TrainingData(training_examples=examples))
    loaded = CharNgramIntentClassifier.load(config, storage, Resource("dense"), context)
    loaded.expose_sources = True
    probes = ["货运信息一直停在昨天", "这玩意儿质量太差劲，才两天就失灵", "报销需要票据，麻烦出一张"]
    messages = [Message(data={"text": t}) for t in [*probes, "   "]]
    loaded.process(messages)
    return {
        "intents": [m.get("intent")["name"] for m in messages[:-1]],
        "sources": sorted(messages[0].get("intent_sources")),
        "blank_untouched": messages[-1].get("intent") is None,
    }


ENCODER_LINES = ["你好，我买的吹风机用了两次就不转了", "退款什么时候到账", "订单DY2026030212345678到哪了"]


def check_sentence_encoder(storage: LocalModelStorage, context: ExecutionContext) -> dict[str, Any]:
    """Sentence vectors for ENCODER_LINES (compared with torch's in the other environment), and
    the shapes DIET receives, through the normaliser and Jieba as in the pipeline."""
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    normalizer = TextNormalizer(focus=False)
    tokenizer = JiebaTokenizer.create(
        JiebaTokenizer.get_default_config(), storage, Resource("jieba"), context
    )
    featurizer = SentenceEncoderFeaturizer.create(
        SentenceEncoderFeaturizer.get_default_config(), storage, Resource("encoder"), context
    )
    messages = [Message(data={"text": t}) for t in [*ENCODER_LINES, "🙏🙏"]]
    normalizer.process(messages)
    tokenizer.process(messages)
    featurizer.process(messages)
    vectors, shapes = [], []
    for message in messages:
        sequence, sentence = message.get_dense_features("text", [])
        vectors.append(sentence.features[0].tolist())
        shapes.append(
            [len(message.get("text_tokens")), list(sequence.features.shape), list(sentence.features.shape)]
        )
    return {"lines": ENCODER_LINES, "sentence_vectors": vectors[:-1], "shapes": shapes}


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        storage = LocalModelStorage(Path(directory))
        context = ExecutionContext(GraphSchema({}), "checks")
        results = {
            "remedy_resolver": check_remedy_resolver(storage, context),
            "remedy_classifier": check_remedy_classifier(storage, context),
            "order_id_extractor": check_order_id_extractor(context),
            "char_ngram_classifier": check_char_ngram_classifier(storage, context),
            "sentence_encoder": check_sentence_encoder(storage, context),
            "dense_intents": check_dense_intents(storage, context),
        }
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
