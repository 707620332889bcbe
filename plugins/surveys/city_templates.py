"""City-wide survey templates the plugin ships: an office builds its surveys from one of these.

The two empowerment (egenmakt) indicators are worded once here, in every language the city supports,
so that every office asks exactly the same question and the cross-office comparison is fair.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Localized

LEARNED = Localized(
    sv="Lärde du dig något nytt vid ditt besök i dag?",
    en="Did you learn something new at your visit today?",
    ar="هل تعلّمت شيئًا جديدًا في زيارتك اليوم؟",
    so="Ma baratay wax cusub booqashadaada maanta?",
    fi="Opitko jotain uutta käynnilläsi tänään?",
    fa="آیا در مراجعهٔ امروزتان چیز تازه‌ای یاد گرفتید؟",
    ti="ሎሚ ኣብ ዝገበርኩሞ ምብጻሕ ሓድሽ ነገር ተማሂርኩም ዶ?",
)
SELF_RELIANT = Localized(
    sv="Tror du att du kan sköta ditt ärende själv nästa gång?",
    en="Do you think you can handle your errand yourself next time?",
    ar="هل تعتقد أنك تستطيع إنجاز معاملتك بنفسك في المرة القادمة؟",
    so="Ma u malaynaysaa inaad arrintaada adigu qaban karto marka xigta?",
    fi="Uskotko, että pystyt hoitamaan asiasi itse ensi kerralla?",
    fa="آیا فکر می‌کنید دفعهٔ بعد می‌توانید کارتان را خودتان انجام دهید؟",
    ti="ኣብ ዝመጽእ ግዜ ጉዳይኩም ባዕልኹም ክትፍጽምዎ ትኽእሉ ኢኹም ዶ ትብሉ?",
)
DEFAULT_TITLE = Localized(
    sv="Hur var ditt besök?",
    en="How was your visit?",
    ar="كيف كانت زيارتك؟",
    so="Sidee ahayd booqashadaadu?",
    fi="Millainen käyntisi oli?",
    fa="مراجعه‌تان چطور بود؟",
    ti="ምብጻሕኩም ከመይ ነይሩ?",
)
LEARNED_LABEL = Localized(sv="Lärde sig något nytt", en="Learned something new", ar="تعلّم شيئاً جديداً",
                          so="Wax cusub ayuu bartay", fi="Oppi jotain uutta", fa="چیز تازه‌ای یاد گرفت",
                          ti="ሓድሽ ነገር ተማሂሩ")
SELF_RELIANT_LABEL = Localized(sv="Kan sköta ärendet själv nästa gång", en="Can handle the errand next time",
                               ar="يستطيع إنجاز معاملته بنفسه في المرة القادمة",
                               so="Arrinka wuu qaban karaa mar dambe", fi="Pystyy hoitamaan asian itse ensi kerralla",
                               fa="دفعه بعد می‌تواند کارش را خودش انجام دهد", ti="ኣብ ዝመጽእ ግዜ ጉዳዩ ባዕሉ ክፍጽም ይኽእል")


@dataclass(frozen=True)
class TemplateQuestion:
    id: str
    text: Localized


@dataclass(frozen=True)
class TemplateIndicator:
    id: str
    question: str
    label: Localized
    default_target: float


@dataclass(frozen=True)
class SurveyTemplate:
    """Yes/no questions asked first, and the indicators (share answering yes) computed from them."""

    id: str
    questions: tuple[TemplateQuestion, ...]
    indicators: tuple[TemplateIndicator, ...]


TEMPLATES: dict[str, SurveyTemplate] = {
    "empowerment": SurveyTemplate(
        id="empowerment",
        questions=(TemplateQuestion("learned", LEARNED), TemplateQuestion("self_reliant", SELF_RELIANT)),
        indicators=(TemplateIndicator("learned", "learned", LEARNED_LABEL, 60.0),
                    TemplateIndicator("self_reliant", "self_reliant", SELF_RELIANT_LABEL, 40.0)),
    ),
    # An office that only asks its own questions.
    "blank": SurveyTemplate(id="blank", questions=(), indicators=()),
}
