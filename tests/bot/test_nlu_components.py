"""The custom NLU components, created, trained and run on real Rasa objects in the Rasa env."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.settings import REPO_ROOT
from devstack.training import run_in_rasa_env


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    completed = run_in_rasa_env([str(REPO_ROOT / "tests" / "bot" / "rasa_env_checks.py")])
    assert completed.returncode == 0, completed.stderr[-3000:]
    last_line = completed.stdout.strip().splitlines()[-1]
    return dict(json.loads(last_line))


def values(found: list[dict[str, Any]], entity: str) -> list[str]:
    return [e["value"] for e in found if e["entity"] == entity]


def test_a_wandering_remedy_span_takes_the_overlapping_phrase_and_counts_once(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["wandering_span"], "remedy") == ["compensation"]
    assert values(checks["canonical_kept"], "remedy") == ["refund_only"]


def test_a_status_question_carries_only_a_request_to_hurry(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["status_hurried"], "remedy") == ["expedite"]
    assert values(checks["status_refund"], "remedy") == []


def test_a_known_remedy_in_request_position_is_found_but_not_in_complaints_about_it(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["request_position"], "remedy") == ["refund_only"]
    assert checks["complaint_about_refund"] == []
    assert checks["negated"] == []
    assert checks["question_intent"] == []


def test_trainers_patterns_find_remedies_no_annotation_has_used(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["pattern"], "remedy") == ["reship"]
    assert values(checks["pattern_span"], "remedy") == ["reship"]
    assert checks["unknown_value"] == []


def test_no_remedy_is_read_from_a_clause_about_a_process_under_way(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert checks["process_clause"] == []
    assert values(checks["request_beside_process"], "remedy") == ["refund_only"]


def test_a_refund_that_is_part_of_a_return_is_not_a_second_remedy(results: dict[str, Any]) -> None:
    assert values(results["remedy_resolver"]["implied"], "remedy") == ["return_refund"]


def test_points_or_a_coupon_sent_again_is_compensation_a_parcel_is_reship(results: dict[str, Any]) -> None:
    assert values(results["remedy_resolver"]["coupon_sent_again"], "remedy") == ["compensation"]
    assert values(results["remedy_resolver"]["parcel_sent_again"], "remedy") == ["reship"]


def test_money_sent_again_or_part_of_the_price_is_a_partial_refund(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["money_sent_again"], "remedy") == ["partial_refund"]
    assert values(checks["part_of_the_price"], "remedy") == ["partial_refund"]
    assert values(checks["points_given_back"], "remedy") == ["compensation"]
    assert values(checks["money_taken_back"], "remedy") == ["refund_only"]
    assert values(checks["hurried_refund"], "remedy") == ["expedite"]


def test_two_joined_asks_are_both_read_and_a_refused_one_is_not(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert sorted(values(checks["two_joined"], "remedy")) == ["apology", "refund_only"]
    assert values(checks["only_asks"], "remedy") == ["exchange"]
    assert checks["only_asks_question"] == []
    assert values(checks["not_this_one"], "remedy") == ["refund_only"]


def test_a_remedy_meant_before_refused_after_or_only_hurried_is_not_a_second_ask(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["meant_before"], "remedy") == ["reship"]  # 本来想退货的，算了，补发吧
    assert values(checks["meant_before_alone"], "remedy") == []
    assert values(checks["refused_after"], "remedy") == ["compensation"]  # 换货太麻烦了
    assert values(checks["lazy_to_return"], "remedy") == ["compensation"]  # 懒得退货了
    assert values(checks["hurry_glued"], "remedy") == ["reship"]  # 尽快补发: one ask


def test_what_goes_back_and_how_much_decide_the_remedy(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["not_wanted"], "remedy") == ["reship"]  # 我不想要补偿
    assert values(checks["old_goes_back"], "remedy") == ["exchange"]  # 旧的我寄回去
    assert values(checks["difference_back"], "remedy") == ["partial_refund"]  # 这差价…补给我
    assert values(checks["amount_back"], "remedy") == ["partial_refund"]  # 给我退两百, goods kept


def test_a_remedy_threatened_quoted_naming_the_case_or_not_about_the_goods_is_not_an_ask(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["threatened"], "remedy") == []  # 再不发货我就申请退款了
    assert values(checks["told_what_to_do"], "remedy") == ["refund_only"]  # 再不到就退款: the shop's to do
    assert values(checks["fallback_threat"], "remedy") == ["compensation"]  # 不然就退货退款
    assert values(checks["quoted"], "remedy") == []  # 客服说会补发
    assert values(checks["quoted_to_ask"], "remedy") == ["exchange"]  # 按主播说的给我换货
    assert values(checks["named_case"], "remedy") == ["expedite"]  # 我那个换货的事催一下吧
    assert values(checks["courier_changed"], "remedy") == []  # 快递能不能换一家
    assert values(checks["mended"], "remedy") == []  # 修补一下


def test_a_hurried_refund_is_the_refund_unless_one_is_under_way(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["hurried_new_refund"], "remedy") == ["refund_only"]  # 请尽快退还多扣的款项
    assert values(checks["hurried_refund_under_way"], "remedy") == ["expedite"]  # …还没到，尽快退吧
    assert values(checks["rest_back"], "remedy") == ["partial_refund"]  # 剩下的36块给我退回来


def test_a_correction_a_withdrawal_or_a_quoted_offer_taken_up_decide_the_ask(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["corrected_to"], "remedy") == ["exchange"]  # 我要退款，哦不对，是换货
    assert values(checks["quote_taken_up"], "remedy") == ["compensation"]  # 客服说可以…，那就麻烦给我发一张吧
    assert values(checks["withdrawn"], "remedy") == ["reship"]  # 退差价的申请我不要了
    assert values(checks["not_pressed"], "remedy") == []  # 商家也不点退款


def test_what_was_said_or_asked_before_and_a_hypothetical_are_not_asks(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["said_before"], "remedy") == []  # 买的时候说支持30天价保
    assert values(checks["asked_before"], "remedy") == []  # 我只是问能不能换颜色
    assert values(checks["hypothetical"], "remedy") == []  # 如果退款，运费谁出
    assert values(checks["applied_for_me"], "remedy") == ["refund_only"]  # 可以先帮我申请退款吗


def test_money_kept_without_sending_back_or_a_fee_back_is_a_refund(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["not_sent_back"], "remedy") == ["refund_only"]  # 直接退钱不寄回去了
    assert values(checks["fee_back"], "remedy") == ["refund_only"]  # 把会员费退给我, not compensation


def test_a_cancel_carries_no_remedy_and_a_refund_not_received_yet_is_told(results: dict[str, Any]) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["cancel_never"], "remedy") == []  # 不搞售后了，团长已经私下补给我了
    assert values(checks["corrected_want"], "remedy") == ["apology"]  # 我想退款，不对，我想要个道歉
    assert values(checks["not_received_yet"], "remedy") == []  # 至今未收到退款
    assert values(checks["coupon_again"], "remedy") == ["compensation"]  # 红包…能给我补一个吗


def test_order_numbers_and_phones_are_taken_by_rule(results: dict[str, Any]) -> None:
    checks = results["order_id_extractor"]
    assert values(checks["order_and_phone"], "order_id") == ["2025112312345678"]
    assert values(checks["order_and_phone"], "phone") == ["13812345678"]
    assert values(checks["guessed_order_replaced"], "order_id") == []
    assert values(checks["guessed_order_replaced"], "phone") == ["13812345678"]
    assert checks["ticket_id"] == []


def test_an_amount_found_by_regex_is_not_doubled_by_diet(results: dict[str, Any]) -> None:
    assert values(results["order_id_extractor"]["amount_once"], "amount") == ["159元"]


def test_an_order_number_corrected_by_a_later_one_is_dropped(results: dict[str, Any]) -> None:
    checks = results["order_id_extractor"]
    assert values(checks["corrected"], "order_id") == ["2025112312345687"]  # 打错了，是…
    assert values(checks["two_orders"], "order_id") == ["2025112312345678", "2025112398765432"]


def test_an_order_number_does_not_pull_a_complaint_towards_inform(results: dict[str, Any]) -> None:
    checks = results["char_ngram_classifier"]
    assert checks["complaint_with_order"] == "report_not_as_described"
    assert checks["bare_number"] == "inform"
    # DIET reads the digits: its "inform" is set aside when the masked reader reads a complaint,
    # and counts as usual when no number was masked or the masked reader agrees.
    assert checks["diet_pulled_by_digits"] == "report_not_as_described"
    assert checks["diet_without_digits"] == "inform"
    assert checks["diet_on_a_bare_number"] == "inform"


def test_text_in_no_words_the_training_lines_know_gets_no_confidence(results: dict[str, Any]) -> None:
    """Keyboard mash is not a reading of any intent: the FallbackClassifier asks instead."""
    checks = results["char_ngram_classifier"]
    assert checks["mash_confidence"] == 0.0
    assert checks["familiar_confidence"] > 0.5
    assert checks["latin_mash_confidence"] == 0.0
    assert checks["latin_with_han_confidence"] > 0.5


def test_the_sentence_vector_model_reads_paraphrases_with_no_shared_words(results: dict[str, Any]) -> None:
    checks = results["dense_intents"]
    assert checks["intents"] == ["track_order", "report_quality_defect", "request_invoice"]
    assert checks["sources"] == ["char_ngram", "dense", "diet"]
    assert checks["blank_untouched"]


def test_the_onnx_encoder_in_the_rasa_env_gives_the_knowledge_base_vectors(results: dict[str, Any]) -> None:
    """The bot's dense features are m3e-small's own sentence vectors (float32 torch as reference)."""
    import numpy as np

    from knowledge_base.retrieval.embedder import load_encoder
    from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR
    from knowledge_base.textnorm import normalize_aligned

    checks = results["sentence_encoder"]
    reference = load_encoder(str(DEFAULT_MODEL_DIR)).encode([normalize_aligned(t) for t in checks["lines"]])
    ours = np.array(checks["sentence_vectors"])
    cosine = (ours * reference).sum(1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(reference, axis=1)
    assert cosine.min() > 0.999, cosine


def test_dense_features_have_one_row_per_token_and_blank_text_gets_zeros(results: dict[str, Any]) -> None:
    for tokens, sequence, sentence in results["sentence_encoder"]["shapes"]:
        assert sequence == [tokens, 512] and sentence == [1, 512]


def test_an_ask_taken_back_is_dropped_and_what_is_sent_back_or_kept_decides_the_value(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_resolver"]
    assert values(checks["second_thoughts"], "remedy") == ["exchange"]
    assert values(checks["sends_back"], "remedy") == ["return_refund"]
    assert values(checks["cannot_send_back"], "remedy") == ["refund_only"]
    assert values(checks["part_replaced"], "remedy") == ["repair"]
    assert values(checks["part_kept_back"], "remedy") == ["partial_refund"]
    assert values(checks["whole_charge"], "remedy") == ["refund_only"]


def test_the_remedy_classifier_adds_a_remedy_no_phrase_found_on_a_known_phrase(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_classifier"]
    value, probability = checks["reading"]
    assert value == "expedite" and 0.3 <= probability <= 1
    [added] = checks["added"]
    assert (added["value"], added["span"], added["extractor"]) == (
        "expedite",
        "跟进一下",
        "RemedyValueClassifier",
    )


def test_the_remedy_classifier_corrects_one_value_and_leaves_the_rest_alone(
    results: dict[str, Any],
) -> None:
    checks = results["remedy_classifier"]
    [swapped] = checks["swapped"]
    assert (swapped["value"], swapped["span"]) == ("return_refund", "钱退给我")
    assert checks["question_left_alone"] == []
    assert sorted(e["value"] for e in checks["two_left_alone"]) == ["expedite", "refund_only"]
    assert checks["none_reading"] == []
    assert checks["untrained"] == ["none", 0.0]
