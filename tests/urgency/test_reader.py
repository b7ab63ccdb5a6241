"""The urgency package: what shoppers' words mean, read once for the bot and the triage API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devstack.settings import REPO_ROOT
from urgency import SignalReader, version

READER = SignalReader.load()
URGENT = {rule.name for rule in READER.rules if rule.raises_to == "urgent"}


def urgent(*turns: str, issue_type: str | None = None) -> set[str]:
    return {hit.signal for hit in READER.read(list(turns), issue_type).hits} & URGENT


@pytest.mark.parametrize(
    "text",
    [
        "拆快递的时候手被纸箱里的订书钉划开了，一直在流血",
        "给孩子用了这个沐浴露，身上起了一片红疹子",
        "新买的电热水壶烧水的时候插头冒火花，还有焦味",
        "孩子把玩具上的小零件咽下去了，现在在医院",
        "保温杯盖子崩开，开水泼到手上了",
    ],
)
def test_injuries_and_hazards_in_plain_words_are_safety(text: str) -> None:
    assert urgent(text) == {"safety"}


@pytest.mark.parametrize(
    "text",
    [
        "号被盗了，对方现在还在用我的花呗买东西",
        "有陌生设备一直在登我的账号，刚又下了两单",
        "我从来没开过这个会员，每个月都在扣我钱",
    ],
)
def test_money_still_being_taken_is_urgent(text: str) -> None:
    assert urgent(text) == {"money_at_risk"}


def test_ongoing_charges_need_someone_else_taking_them() -> None:
    assert urgent("花呗分期每个月都在扣款，分期是我自己开的") == set()
    assert urgent("今天又扣了一笔", issue_type="payment_security") == {"money_at_risk"}


def test_a_stopped_charge_is_withdrawn_and_a_new_one_counts_again() -> None:
    assert urgent("账号被盗了还在扣钱", "卡已经冻结了") == set()
    assert urgent("账号被盗了还在扣钱", "卡已经冻结了", "又在扣钱了") == {"money_at_risk"}


@pytest.mark.parametrize(
    "text",
    [
        "物流慢成这样，我真的气炸了",
        "急得火烧眉毛了，快递到底什么时候到",
        "这价格要命了",
        "心态崩了，等了一周",
        "评论区都炸了哈哈，链接什么时候上",
        "我已经中毒了，这口红颜色太好看又回购了",
        "相机拍出来曝光过度，是不是坏了",
        "宝宝用了这个面霜没过敏，就是有点油",
        "打火机打不着火",
        "空气炸锅的篮子有划痕",
    ],
)
def test_idioms_hyperbole_and_product_words_are_not_hazards(text: str) -> None:
    assert urgent(text) == set()


def test_a_threat_taken_back_later_no_longer_counts() -> None:
    assert urgent("再不处理我就发微博曝光") == {"public_exposure"}
    assert urgent("再不处理我就发微博曝光", "刚才已经给我退款了，不发了") == set()


def test_strong_anger_hands_over_but_is_not_urgent_by_the_taxonomy() -> None:
    rule = next(r for r in READER.rules if r.name == "strong_anger")
    assert rule.raises_to == "important"
    assert {h.signal for h in READER.read(["你们就是骗子"]).hits} == {"strong_anger"}


def test_the_package_has_a_version() -> None:
    assert version().split("-")[0].isdigit()


def imported_modules(folder: Path) -> set[str]:
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    return names


def test_the_bot_and_the_api_read_urgency_from_the_same_package_and_not_each_other() -> None:
    bot = imported_modules(REPO_ROOT / "bot")
    api = imported_modules(REPO_ROOT / "triage_api")
    assert "urgency" in bot and "urgency" in api
    assert not any(name.startswith("triage_api") for name in bot)


@pytest.mark.parametrize(
    "text",
    [
        "如果再不处理我就去12315投诉",
        "要是明天还不发货我就找媒体曝光",
        "今天不给答复就起诉你们",
        "检测结果不合格的话我就报警",
    ],
)
def test_a_conditional_threat_is_a_threat(text: str) -> None:
    assert urgent(text) == {"public_exposure"}
    assert {h.signal for h in READER.with_meaning(None).read([text]).hits} == {"public_exposure"}


@pytest.mark.parametrize(
    "text",
    [
        "我不愿意闹到消协去，你们给个方案",
        "我怕宝宝吃了会过敏，先问一下成分",
        "刷到有人在小红书上曝光你们家，这个还能买吗",
    ],
)
def test_fears_reluctance_and_what_others_posted_are_not_signals(text: str) -> None:
    assert {h.signal for h in READER.with_meaning(None).read([text]).hits} & URGENT == set()


@pytest.mark.parametrize(
    "text",
    [
        "万一孩子把小零件吞了怎么办",
        "如果充电宝爆炸了怎么办",
        "新闻里说有个牌子的充电宝爆炸了",
        "假如有人曝光你们你们不怕吗",
    ],
)
def test_hypotheticals_and_news_are_not_signals(text: str) -> None:
    assert urgent(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "吃了你们的蛋白粉嘴唇肿了，喉咙发紧",
        "摸了一下电水壶外壳，手被电麻了一下",
        "烤盘进烤箱后直接炸裂，碎片把我胳膊划破了",
    ],
)
def test_harm_described_by_what_happened_to_the_body(text: str) -> None:
    assert urgent(text) == {"safety"}


def test_money_still_being_taken_counts_after_an_earlier_theft_was_settled() -> None:
    """The earlier theft is the context (someone else takes the money) even though it is past."""
    assert urgent("上个月被盗刷过一次，银行处理了", "今天又开始了，现在还在扣") == {"money_at_risk"}
    assert urgent("我的店铺账户正在被别人登录") == {"money_at_risk"}
    assert urgent("账号上周被盗过，已经找回来改好密码了", "想问下那几天的订单能不能退") == set()


def test_a_fire_is_not_read_as_a_product_that_caught_on() -> None:
    assert urgent("取暖器用着用着着火了") == {"safety"}
    assert urgent("这款卖得火了，还有货吗") == set()
    assert urgent("宝宝从床上摔下来额头磕了个大包") == {"safety"}


def test_harm_already_done_is_not_taken_back_by_what_luckily_did_not_happen() -> None:
    assert urgent("饼干里有块碎玻璃，舌头被划破了，幸好没吞下去") == {"safety"}
    assert urgent("饼干里有块碎玻璃，幸好没吞下去") == set()


@pytest.mark.parametrize(
    "turns",
    [
        ("热水器开着开着冒烟了", "啊不好意思，是蒸汽，我看错了"),
        ("孩子胳膊上起了一片红疹子", "医生说是蚊子咬的，跟你们家的驱蚊贴没啥关系"),
        ("我被这物流气到住院了", "开个玩笑，就是想催一下"),
        ("你们再不给说法我就去12315", "刚才已经给我退了钱，12315就不去了"),
    ],
)
def test_a_second_turn_that_takes_the_alarm_back_is_heard(turns: tuple[str, str]) -> None:
    assert urgent(*turns) == set()


@pytest.mark.parametrize(
    "text",
    ["那如果放在车里暴晒会爆炸吗", "这种锂电池容易自燃吗，想买给老人用", "衣服上的印花洗了两次就起皮了"],
)
def test_questions_about_a_risk_and_worn_prints_are_not_hazards(text: str) -> None:
    assert urgent(text) == set()


def test_a_threat_behind_再不_without_就_is_still_a_threat() -> None:
    assert urgent("都半个月了，再不退款我去市场监管局投诉") == {"public_exposure"}
    assert urgent("放心，我不会去投诉你们的") == set()


@pytest.mark.parametrize(
    "text",
    [
        "订单 JD 3381 2207 9915 120 显示已签收，我想问下发票怎么开",
        "宝宝平时穿100的，这件连衣裙拿110还是120合适",
        "我表姐说她同事家买的取暖器烧起来过，你们这个安全吗",
        "之前在别的店买的暖手宝漏过电，所以这次问问你们的有没有3C认证",
        "要是换成我年轻那会儿，早就找电视台了，现在就想把钱退了",
        "小姐姐声音太好听了，被她电到了哈哈",
    ],
)
def test_numbers_sizes_second_hand_stories_and_what_once_would_have_been_are_not_signals(text: str) -> None:
    assert urgent(text) == set()


def test_emergency_numbers_still_count_on_their_own() -> None:
    assert urgent("孩子把电池吞下去了，我已经叫了120") == {"safety"}
    assert urgent("这个人还在用我的号下单，我打110报警了") >= {"public_exposure"}


@pytest.mark.parametrize(
    "turns",
    [
        ("我要报警了", "说错了，是你们卖的那个烟雾报警器一直响，怎么关"),
        ("有人登我的号！", "弄清楚了，是我儿子用他的平板登的，没事了"),
        ("孩子喝了你们的果汁肚子疼", "医生说是着凉，跟果汁没关系，人也好了"),
        ("这个暖风机烫手", "就是出风口有点热，没别的问题，想问问正常吗"),
        ("我要起诉你们", "之前那句不算数了，客服已经给我补发了"),
    ],
)
def test_a_later_turn_that_corrects_the_first_takes_every_signal_back(turns: tuple[str, str]) -> None:
    assert urgent(*turns) == set()


def test_a_correction_does_not_take_back_harm_already_done_or_a_signal_raised_after_it() -> None:
    assert urgent("手被包装划破了在流血", "说错了，是手指不是手掌") == {"safety"}
    assert urgent("我要报警", "搞错了，不是报警，是我要去12315投诉你们") == {"public_exposure"}
    # In the first turn nothing has been said before it to take back.
    assert urgent("说错了，我账号现在还在被别人登着下单") == {"money_at_risk"}


@pytest.mark.parametrize(
    "text",
    [
        "这锅煎个蛋都粘，气冒烟了",
        "主播你嗓门小点，我耳朵都要炸了",
        "这价格太炸了吧，给我来两单",
        "我爸住院了家里没人，快递能不能先放驿站",
        "买的舞台用烟饼，点着以后冒烟太少了",
        "你们的熨斗把我衬衫烫出一个黄印，能修吗",
        "就是万一我用了过敏了，能退吗",
    ],
)
def test_hyperbole_marks_on_cloth_and_smoke_that_is_the_product_are_not_signals(text: str) -> None:
    assert urgent(text) == set()


def test_someone_ordering_with_my_money_still_counts() -> None:
    assert urgent("这几单不是我拍的，他用我的钱还在继续拍") == {"money_at_risk"}


@pytest.mark.parametrize(
    "text",
    [
        "我奶奶这周住院，屋里没人，能不能晚几天再给我发",
        "京东白条每个月自动扣一次，这是正常扣款吧",
        "找了一下午驿站，脚底板都走冒烟了，我的件呢",
        "收到的羽绒服绒毛全炸开了，跟样品差好多",
        "看到少发了配件我整个人都裂开了",
        "我们业主群里都炸锅了，这批榴莲太香了，还有货吗",
        "收货地址帮我改成人民医院门诊楼",
    ],
)
def test_remarks_told_aside_and_more_hyperbole_are_not_signals(text: str) -> None:
    assert urgent(text) == set()


def test_a_stopped_card_does_not_take_back_an_account_still_being_used() -> None:
    assert urgent("号被盗了，我已经把卡挂失了，可是那个人还能用我的余额下单") == {"money_at_risk"}
    assert urgent("我要去法院告你们", "行吧，你们给退了，我就不折腾了") == set()
    # A hospital stay caused by the product is still harm, whatever the delivery question after it.
    assert urgent("吃了你们的辣条住院了，现在还在输液") == {"safety"}


def test_a_pet_harmed_by_food_is_safety_and_a_friends_product_or_hearsay_is_not() -> None:
    assert urgent("狗狗吃了你们的罐头一直口吐白沫") == {"safety"}
    assert urgent("我邻居家的充电宝上周鼓包了，我这个还没用过，能退吗") == set()
    assert urgent("听说这款取暖器会起火？我还在犹豫要不要下单") == set()
    assert urgent("生宝宝住院了一周，刚出院，快递还能重新派送吗") == set()


def test_a_joke_or_no_harm_in_a_later_turn_takes_the_alarm_back() -> None:
    assert urgent("我被你们的刀划了", "逗你们的，一点事没有，就是刀口有点钝") == set()
