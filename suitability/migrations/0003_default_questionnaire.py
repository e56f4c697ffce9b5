"""The default risk tolerance questionnaire for individuals (个人投资者风险承受能力评估问卷),
version 1, in use: 15 questions — two gatekeepers, age, finances, knowledge and experience,
objective, horizon, varieties and loss tolerance — scoring 0 to 100, with the bands
0 (lowest category, inside C1) / 1–19 C1 / 20–36 C2 / 37–53 C3 / 54–82 C4 / 83–100 C5.

Texts are stored in English (``text``) and Chinese (``text_zh``): questionnaires are data edited
in admin by operations, so both languages live in the row, not in the translation catalogue.
A firm changes it by adding version 2 in admin and switching ``is_active`` over; answered
versions stay as they were (assessments point at them).
"""

from django.db import migrations

CODE = "RTQ-IND"

# (number, category, multiple, English, Chinese, [(label, score, English, Chinese, extra)])
# extra: "lowest" (gatekeeper answer), "h:<horizon>" or "v:<variety>".
QUESTIONS = [
    (
        1,
        "gatekeeper",
        False,
        "Do you have full capacity for civil conduct?",
        "您是否具有完全民事行为能力？",
        [
            ("A", 0, "Yes", "是", ""),
            ("B", 0, "No", "否", "lowest"),
        ],
    ),
    (
        2,
        "gatekeeper",
        False,
        "Can you bear a loss of the principal you invest?",
        "您能否承受投资本金的损失？",
        [
            ("A", 0, "Yes, I accept that investments may lose money", "能，我理解投资可能发生亏损", ""),
            ("B", 0, "No, I cannot bear any loss of principal", "不能，我不能承受任何本金损失", "lowest"),
        ],
    ),
    (
        3,
        "age",
        False,
        "How old are you?",
        "您的年龄是？",
        [
            ("A", 5, "18–30", "18–30岁", ""),
            ("B", 6, "31–50", "31–50岁", ""),
            ("C", 4, "51–60", "51–60岁", ""),
            ("D", 2, "61–64", "61–64岁", ""),
            ("E", 0, "65 or over", "65岁及以上", ""),
        ],
    ),
    (
        4,
        "finances",
        False,
        "What is your main source of income?",
        "您的主要收入来源是？",
        [
            ("A", 4, "Salary or other pay for work", "工资、劳务报酬", ""),
            ("B", 6, "Income from a business I own", "生产经营所得", ""),
            ("C", 5, "Rent, interest, dividends and other investment income", "利息、股息、租金等财产性收入", ""),
            (
                "D",
                0,
                "No steady income (pension, benefits, family support)",
                "无固定收入（养老金、补贴、家庭资助等）",
                "",
            ),
        ],
    ),
    (
        5,
        "finances",
        False,
        "What is your household's annual income?",
        "您的家庭年收入约为？",
        [
            ("A", 0, "Under 100,000 yuan", "10万元以下", ""),
            ("B", 3, "100,000–500,000 yuan", "10万–50万元", ""),
            ("C", 6, "500,000–1,000,000 yuan", "50万–100万元", ""),
            ("D", 8, "Over 1,000,000 yuan", "100万元以上", ""),
        ],
    ),
    (
        6,
        "finances",
        False,
        "How much do you hold in financial assets (deposits, securities, funds, wealth products)?",
        "您的金融资产（存款、证券、基金、理财产品等）约为？",
        [
            ("A", 0, "Under 500,000 yuan", "50万元以下", ""),
            ("B", 3, "500,000–3,000,000 yuan", "50万–300万元", ""),
            ("C", 6, "3,000,000–5,000,000 yuan", "300万–500万元", ""),
            ("D", 8, "Over 5,000,000 yuan", "500万元以上", ""),
        ],
    ),
    (
        7,
        "finances",
        False,
        "What share of your income goes to repaying debts (mortgage, loans)?",
        "您每年用于偿还债务（房贷、借款等）的支出占收入的比例约为？",
        [
            ("A", 0, "Over 50%", "50%以上", ""),
            ("B", 2, "20%–50%", "20%–50%", ""),
            ("C", 4, "Under 20%", "20%以下", ""),
            ("D", 6, "I have no debts", "没有负债", ""),
        ],
    ),
    (
        8,
        "knowledge",
        False,
        "How would you describe your knowledge of investing?",
        "您的投资知识水平属于？",
        [
            ("A", 0, "Very little: I mostly keep money on deposit", "很少，主要将资金存在银行", ""),
            ("B", 3, "Basic: I know how deposits, bonds and funds differ", "一般，了解存款、债券、基金的区别", ""),
            ("C", 6, "Good: I understand most products and their risks", "较丰富，了解大多数产品及其风险", ""),
            (
                "D",
                8,
                "Professional: I work in finance or hold a finance qualification",
                "专业，从事金融工作或具有金融类资格",
                "",
            ),
        ],
    ),
    (
        9,
        "experience",
        False,
        "How long have you invested in stocks, funds, bonds, futures or similar?",
        "您投资股票、基金、债券、期货等产品的年限是？",
        [
            ("A", 0, "Never", "没有经验", ""),
            ("B", 2, "Under 2 years", "2年以下", ""),
            ("C", 5, "2–5 years", "2–5年", ""),
            ("D", 8, "Over 5 years", "5年以上", ""),
        ],
    ),
    (
        10,
        "experience",
        False,
        "What is the riskiest kind of product you have invested in?",
        "您投资过的风险最高的产品是？",
        [
            ("A", 0, "Deposits, treasury bonds or money market funds only", "仅银行存款、国债或货币基金", ""),
            ("B", 3, "Bond funds or low-risk wealth products", "债券基金或低风险理财产品", ""),
            ("C", 6, "Stocks, equity or mixed funds", "股票、股票型或混合型基金", ""),
            ("D", 8, "Futures, options, private funds or structured products", "期货、期权、私募基金或结构化产品", ""),
        ],
    ),
    (
        11,
        "objective",
        False,
        "What do you mainly want from investing?",
        "您的主要投资目标是？",
        [
            ("A", 0, "Keep my capital safe, with returns like a deposit", "保本，获得与存款相当的收益", ""),
            ("B", 3, "Steady income with little fluctuation", "获得稳定收益，波动较小", ""),
            ("C", 5, "Higher returns, accepting some fluctuation", "追求较高收益，可承受一定波动", ""),
            ("D", 8, "High growth, accepting large swings", "追求高收益，可承受较大波动", ""),
        ],
    ),
    (
        12,
        "horizon",
        False,
        "How long do you expect to keep your money invested?",
        "您计划的投资期限是？",
        [
            ("A", 0, "Up to 1 year", "1年以内", "h:short"),
            ("B", 5, "1–5 years", "1–5年", "h:medium"),
            ("C", 8, "Over 5 years, or no special requirement", "5年以上或无特别要求", "h:long"),
        ],
    ),
    (
        13,
        "variety",
        True,
        "Which kinds of investment do you intend to make? (choose all that apply)",
        "您计划投资的品种有哪些？（可多选）",
        [
            ("A", 0, "Cash management (money market funds)", "现金管理类（货币基金等）", "v:cash"),
            ("B", 3, "Fixed income (bonds, bond funds)", "固定收益类（债券、债券基金等）", "v:fixed_income"),
            ("C", 6, "Equity (stocks, equity funds)", "权益类（股票、股票型基金等）", "v:equity"),
            ("D", 6, "Mixed (mixed funds)", "混合类（混合型基金等）", "v:mixed"),
            ("E", 8, "Derivatives (futures, options)", "期货和衍生品类（期货、期权等）", "v:derivatives"),
            (
                "F",
                10,
                "Complex or high-risk (structured products, private funds, leverage)",
                "复杂或高风险类（结构化产品、私募基金、杠杆等）",
                "v:complex",
            ),
        ],
    ),
    (
        14,
        "loss_tolerance",
        False,
        "What is the largest loss in a year you could bear?",
        "您一年内能承受的最大投资损失是？",
        [
            ("A", 0, "Up to 5%", "5%以内", ""),
            ("B", 4, "5%–10%", "5%–10%", ""),
            ("C", 7, "10%–30%", "10%–30%", ""),
            ("D", 10, "Over 30%", "30%以上", ""),
        ],
    ),
    (
        15,
        "loss_tolerance",
        False,
        "If your investments fell 20% in a short time, what would you do?",
        "如果您的投资短期内下跌20%，您会？",
        [
            ("A", 0, "Sell everything", "全部卖出", ""),
            ("B", 2, "Sell part of it", "卖出一部分", ""),
            ("C", 4, "Hold and wait", "继续持有", ""),
            ("D", 6, "Buy more", "追加投资", ""),
        ],
    ),
]

# (level, from, to, lowest category)
BANDS = [
    ("C1", 0, 0, True),
    ("C1", 1, 19, False),
    ("C2", 20, 36, False),
    ("C3", 37, 53, False),
    ("C4", 54, 82, False),
    ("C5", 83, 100, False),
]


def load(apps, schema_editor):
    Questionnaire = apps.get_model("suitability", "Questionnaire")
    Question = apps.get_model("suitability", "Question")
    Choice = apps.get_model("suitability", "Choice")
    ScoreBand = apps.get_model("suitability", "ScoreBand")
    if Questionnaire.objects.filter(code=CODE, version=1).exists():
        return
    active = not Questionnaire.objects.filter(audience="individual", is_active=True).exists()
    questionnaire = Questionnaire.objects.create(
        code=CODE,
        version=1,
        title="Risk tolerance questionnaire for individuals",
        title_zh="个人投资者风险承受能力评估问卷",
        audience="individual",
        is_active=active,
    )
    for number, category, multiple, text, text_zh, choices in QUESTIONS:
        question = Question.objects.create(
            questionnaire=questionnaire, number=number, category=category, multiple=multiple, text=text, text_zh=text_zh
        )
        Choice.objects.bulk_create(
            Choice(
                question=question,
                label=label,
                score=score,
                text=choice_text,
                text_zh=choice_zh,
                marks_lowest_category=extra == "lowest",
                declares_horizon=extra[2:] if extra.startswith("h:") else "",
                declares_variety=extra[2:] if extra.startswith("v:") else "",
            )
            for label, score, choice_text, choice_zh, extra in choices
        )
    ScoreBand.objects.bulk_create(
        ScoreBand(questionnaire=questionnaire, risk_level=level, min_score=low, max_score=high, lowest_category=lowest)
        for level, low, high, lowest in BANDS
    )


def unload(apps, schema_editor):
    Questionnaire = apps.get_model("suitability", "Questionnaire")
    RiskAssessment = apps.get_model("suitability", "RiskAssessment")
    questionnaire = Questionnaire.objects.filter(code=CODE, version=1).first()
    if questionnaire is not None and not RiskAssessment.objects.filter(questionnaire=questionnaire).exists():
        questionnaire.delete()


class Migration(migrations.Migration):
    dependencies = [("suitability", "0002_bilingual_bands_channel")]

    operations = [migrations.RunPython(load, unload)]
