"""Why a suitability rule decided what it did: a stable ``code`` and a message in English and
Chinese, kept side by side in one table.

Decision (see docs/suitability.md): the two texts live here, not in the gettext catalogue. A
check is a regulatory record kept for 20 years (art. 32); it stores both texts exactly as they
were shown, so a later edit of the catalogue cannot change what a record says was told to the
client, and the rules stay plain Python that runs without Django's translation machinery. The
language of a response picks one of the two (``Reason.message(language)``). A test keeps the
table complete: every code has both texts and every placeholder appears in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code: (English, 简体中文). Placeholders are ``str.format`` fields filled from ``Reason.params``.
REASONS: dict[str, tuple[str, str]] = {
    # --- matching (art. 18–22) ---
    "match": (
        "Risk, horizon and variety all match the client's profile.",
        "风险等级、投资期限和投资品种均与客户匹配。",
    ),
    "professional_investor": (
        "The client is a professional investor ({investor_type}): every risk level matches.",
        "客户为专业投资者（{investor_type}），可匹配各风险等级产品。",
    ),
    "risk_mismatch": (
        "The product's risk level {product_level} is above the client's risk tolerance {client_level}.",
        "产品风险等级{product_level}高于客户风险承受能力等级{client_level}。",
    ),
    "horizon_mismatch": (
        "The product's horizon ({product_horizon}) is longer than the client's declared horizon ({client_horizon}).",
        "产品投资期限（{product_horizon}）超出客户申报的投资期限（{client_horizon}）。",
    ),
    "variety_mismatch": (
        "The product's variety ({product_variety}) is not among the client's declared varieties.",
        "产品投资品种（{product_variety}）不在客户申报的投资品种范围内。",
    ),
    "mismatch_confirmable": (
        "The client asked for this product: it may be sold only after a special written risk warning "
        "naming each mismatch, confirmed by the client (art. 19).",
        "本次为客户主动申请购买：须向客户提示特别风险警示书并逐项说明不匹配之处，经客户书面确认后方可销售（第十九条）。",
    ),
    "mismatch_not_client_initiated": (
        "The firm may not recommend a product that does not match the client (art. 22(3)-(4)).",
        "经营机构不得向客户主动推介不匹配的产品（第二十二条第（三）、（四）项）。",
    ),
    "lowest_category_above_r1": (
        "The client is in the lowest risk tolerance category: only R1 products may be sold (art. 22(5)).",
        "客户属于风险承受能力最低类别，仅可购买R1级产品（第二十二条第（五）项）。",
    ),
    "lowest_category_cannot_confirm": (
        "A client in the lowest category cannot confirm a mismatch (art. 19, 22(5)).",
        "风险承受能力最低类别的客户不得通过书面确认购买不匹配产品（第十九条、第二十二条第（五）项）。",
    ),
    "professional_only": (
        "The product is sold to professional investors only; the client is an ordinary investor.",
        "该产品仅面向专业投资者销售，客户为普通投资者。",
    ),
    "access_threshold_not_met": (
        "The client's 20-day average assets ({assets}) are below the product's access threshold ({threshold}).",
        "客户近20日日均资产（{assets}）低于产品准入门槛（{threshold}）。",
    ),
    "access_assets_unknown": (
        "The product has an access threshold ({threshold}) and the client's 20-day average assets are unknown.",
        "产品设有准入门槛（{threshold}），客户近20日日均资产未知。",
    ),
    "assessment_missing": (
        "The client has no risk assessment: a purchase needs a valid one.",
        "客户尚未进行风险测评，购买产品须有有效的风险测评。",
    ),
    "assessment_expired": (
        "The client's risk assessment expired on {valid_until}: a purchase needs a new assessment.",
        "客户的风险测评已于{valid_until}过期，购买产品须重新测评。",
    ),
    "assessment_expiring": (
        "The client's risk assessment expires on {valid_until}: arrange a new assessment.",
        "客户的风险测评将于{valid_until}到期，请安排重新测评。",
    ),
    "redemption_not_restricted": (
        "Redemptions and sales are not restricted by suitability.",
        "赎回或卖出不受适当性匹配限制。",
    ),
    # --- steps owed (art. 19, 20, 25) ---
    "high_risk_duties": (
        "High-risk product to an ordinary investor: allow a consideration period and call the client back (art. 20).",
        "向普通投资者销售高风险产品：须给予冷静期并进行回访（第二十条）。",
    ),
    "elderly_enhanced_flow": (
        "The client is {age} ({elderly_age} or over is elderly) and the product is {product_level}: "
        "give the extra warning, record the sale on audio/video, allow a consideration period and call back.",
        "客户年龄{age}岁（{elderly_age}岁及以上为老年投资者），产品风险等级{product_level}："
        "须加强风险提示、全程录音录像、给予冷静期并回访。",
    ),
    "branch_recording": (
        "The warning is given at a branch: record it on audio/video and keep the reference (art. 25).",
        "在营业网点进行风险警示，须全程录音录像并记录录音录像编号（第二十五条）。",
    ),
    "product_needs_recording": (
        "The product must be sold with an audio/video recording.",
        "该产品销售须全程录音录像（双录）。",
    ),
    # --- questionnaire ---
    "gatekeeper_lowest_category": (
        "Question {number}: the answer puts the investor in the lowest category whatever the score.",
        "第{number}题的回答使投资者无论得分高低均归入风险承受能力最低类别。",
    ),
    "score_band": (
        "Score {score} lies in the band {min_score}–{max_score}: {level}.",
        "得分{score}位于{min_score}–{max_score}分区间：{level}。",
    ),
    "score_band_lowest": (
        "Score {score} lies in the band {min_score}–{max_score}: the lowest category (within C1).",
        "得分{score}位于{min_score}–{max_score}分区间：风险承受能力最低类别（属C1）。",
    ),
    "assessment_limit_day": (
        "The client has already taken {count} assessment(s) through {channel} today; the limit is {limit}.",
        "客户今日已通过{channel}渠道测评{count}次，每日上限为{limit}次。",
    ),
    "assessment_limit_year": (
        "The client has already taken {count} assessment(s) through {channel} this year; the limit is {limit}.",
        "客户本年度已通过{channel}渠道测评{count}次，每年上限为{limit}次。",
    ),
    # --- investor classification (art. 8–12) ---
    "class_a_institution": (
        "A licensed financial institution, its product, a pension or social security fund, or a QFII/RQFII: "
        "professional investor A (art. 8(1)-(3)).",
        "经批准设立的金融机构及其产品、社保基金或养老金、QFII/RQFII：专业投资者A类（第八条第（一）至（三）项）。",
    ),
    "class_b_entity": (
        "Net assets {net_assets} ≥ 20m, financial assets {financial_assets} ≥ 10m and {experience_years} years' "
        "experience ≥ 2: professional investor B (art. 8(4)).",
        "净资产{net_assets}不低于2000万元、金融资产{financial_assets}不低于1000万元且投资经历{experience_years}年"
        "不少于2年：专业投资者B类（第八条第（四）项）。",
    ),
    "class_b_person": (
        "Financial assets ≥ 5m or 3-year average income ≥ 0.5m, with 2 years' experience, relevant work or "
        "qualification: professional investor B (art. 8(5)).",
        "金融资产不低于500万元或近3年年均收入不低于50万元，且具有2年以上投资经历、相关工作经历或符合条件的资格："
        "专业投资者B类（第八条第（五）项）。",
    ),
    "class_ordinary": (
        "Does not meet the bar of a professional investor: ordinary investor (art. 10).",
        "不符合专业投资者条件：普通投资者（第十条）。",
    ),
    "class_c_eligible": (
        "Meets the bar to apply in writing to be treated as a professional investor (C) (art. 11).",
        "符合书面申请转化为专业投资者（C类）的条件（第十一条）。",
    ),
    "class_c_assets_too_low": (
        "Financial assets below 3m and 3-year average income below 0.3m (art. 11(2)).",
        "金融资产低于300万元且近3年年均收入低于30万元（第十一条第（二）项）。",
    ),
    "class_c_entity_assets_too_low": (
        "Net assets below 10m or financial assets below 5m (art. 11(1)).",
        "净资产低于1000万元或金融资产低于500万元（第十一条第（一）项）。",
    ),
    "class_c_experience_too_short": (
        "Less than one year's investing experience (or, for a person, relevant work) (art. 11).",
        "投资经历（自然人或相关工作经历）不足1年（第十一条）。",
    ),
    "class_c_already_professional": (
        "The investor is already a professional investor.",
        "该投资者已是专业投资者。",
    ),
    "class_c_needs_written_application": (
        "Professional C is never automatic: the investor must apply in writing and the firm decide.",
        "专业投资者C类不得自动认定：须投资者书面申请并经本机构审核。",
    ),
    "opt_ordinary_allowed": (
        "A professional investor of class {investor_type} may ask to be treated as ordinary (art. 11).",
        "{investor_type}类专业投资者可申请转化为普通投资者（第十一条）。",
    ),
    "opt_ordinary_refused_a": (
        "A professional investor of class A may not be treated as ordinary.",
        "专业投资者A类不得转化为普通投资者。",
    ),
    "opt_ordinary_not_professional": (
        "The investor is already treated as ordinary.",
        "该投资者已按普通投资者对待。",
    ),
}


@dataclass(frozen=True)
class Label:
    """A value named in a message, in both languages (a horizon, a variety, an investor type)."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en


HORIZON_LABELS = {
    "short": Label("short, up to 1 year", "短期，1年以内"),
    "medium": Label("medium, 1–5 years", "中期，1至5年"),
    "long": Label("long, over 5 years or no special requirement", "长期，5年以上或无特别要求"),
}
VARIETY_LABELS = {
    "cash": Label("cash management", "现金管理类"),
    "fixed_income": Label("fixed income", "固定收益类"),
    "equity": Label("equity", "权益类"),
    "mixed": Label("mixed", "混合类"),
    "derivatives": Label("derivatives", "期货和衍生品类"),
    "complex": Label("complex or high-risk", "复杂或高风险类"),
}
INVESTOR_TYPE_LABELS = {
    "ordinary": Label("ordinary", "普通投资者"),
    "professional_a": Label("A", "A"),
    "professional_b": Label("B", "B"),
    "professional_c": Label("C", "C"),
}
CHANNEL_LABELS = {
    "workbench": Label("the workbench", "工作台"),
    "api": Label("the API", "接口"),
    "import": Label("the import", "导入"),
    "counter": Label("the branch counter", "营业部柜台"),
}


def _label(table: dict[str, Label], value: str) -> Label:
    return table.get(value) or Label(value, value)


@dataclass(frozen=True)
class Reason:
    """One reason of a decision: a stable code plus the values its message names."""

    code: str
    params: tuple[tuple[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.code not in REASONS:
            raise KeyError(f"unknown suitability reason {self.code!r}")

    @classmethod
    def of(cls, code: str, **params: Any) -> Reason:
        return cls(code, tuple(sorted(params.items())))

    def message(self, language: str | None = "en") -> str:
        """The message in ``language`` (anything starting with ``zh`` → Chinese, else English)."""
        english, chinese = REASONS[self.code]
        zh = (language or "").lower().startswith("zh")
        values = {
            key: (value.zh if zh else value.en) if isinstance(value, Label) else value for key, value in self.params
        }
        return (chinese if zh else english).format(**values)

    def as_record(self) -> dict[str, Any]:
        """What a check stores: the code, both texts, and the values they name."""
        return {
            "code": self.code,
            "en": self.message("en"),
            "zh": self.message("zh-hans"),
            "params": {key: str(value) for key, value in self.params},  # Label → its English
        }


def record_message(record: dict[str, Any], language: str | None) -> str:
    """The message of a stored reason (``Reason.as_record``) in the request's language."""
    chinese = (language or "").lower().startswith("zh")
    return record.get("zh" if chinese else "en") or record.get("message", "")
