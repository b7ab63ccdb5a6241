"""Chinese names of taxonomy values as shoppers read them."""

from __future__ import annotations

ISSUE_TYPE = {
    "quality_defect": "商品质量问题",
    "not_as_described": "商品与描述不符",
    "wrong_or_missing_item": "发错货/少件/赠品未收到",
    "logistics_delay": "发货或物流延迟",
    "logistics_lost": "包裹丢失/签收未收到",
    "damaged_in_transit": "运输破损",
    "false_advertising": "主播误导/虚假宣传",
    "refund_problem": "退款退货问题",
    "order_anomaly": "订单异常",
    "payment_security": "支付安全",
    "promotion_rules": "优惠/返利规则",
    "safety_hazard": "食品或人身安全",
    "service_complaint": "服务态度",
    "order_change": "订单修改",
    "invoice": "发票",
    "usage_help": "使用咨询",
    "other": "其他问题",
}

REMEDY = {
    "refund_only": "仅退款",
    "return_refund": "退货退款",
    "partial_refund": "部分退款/退差价",
    "exchange": "换货",
    "reship": "补发",
    "repair": "维修",
    "compensation": "补偿（优惠券/积分/赔偿）",
    "apology": "道歉并说明",
    "expedite": "尽快处理/催发货",
    "investigate": "调查并给个说法",
    "unsure": "请客服给建议",
}

QUEUE = {
    "safety": "食品与人身安全专班",
    "payment_risk": "支付风控团队",
    "logistics": "物流售后团队",
    "quality": "商品质量售后团队",
    "live_compliance": "直播合规团队",
    "refunds": "退款退货团队",
    "general": "综合客服团队",
}

STATUS = {
    "new": "已受理，正在排队等待专人处理",
    "assigned": "客服正在处理中",
    "waiting_customer": "等待您补充信息",
    "resolved": "已处理，等待您的回访评价",
    "closed": "已完结",
    "reopened": "已重新处理中",
}
