"""The CIK gastric cancer page, from the source document seed/cik-gastric-cancer.txt.

Every sentence and figure of the source is here; tests compare the rendered page with it.
Each row also gets its first history entry, so the admin can show it after later edits.
The clinical review fields stay empty: a clinician fills them in when they review the page.
"""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

PATH = "/cik/gastric-cancer/"

PAGE = {
    "path": PATH,
    "title": "CIK Therapy for Gastric Cancer",
    "subtitle": (
        "Clinical evidence, eligibility, and combination strategies for CIK cell therapy in "
        "gastric cancer — supported by multiple randomised trials demonstrating improved "
        "survival and quality of life alongside standard chemotherapy."
    ),
    "summary": (
        "What the randomised trials show for CIK cell therapy alongside chemotherapy in "
        "gastric cancer, who may be eligible, the benefits and limitations, and how "
        "CancerFax can help."
    ),
    "therapy": "CIK cell therapy",
    "condition": "Gastric cancer",
    "disclaimer": (
        "This content is for informational purposes only and does not constitute medical "
        "advice. Always consult a qualified oncologist before making treatment decisions."
    ),
    "status": "published",
}

SECTIONS = [
    {"kind": "at_a_glance", "heading": "At a Glance"},
    {
        "kind": "relevance",
        "heading": "Why CIK Therapy Is Relevant in Gastric Cancer",
        "intro": (
            "Gastric cancer remains one of the leading causes of cancer death globally, with "
            "particularly high incidence across East Asia. Despite improvements in surgical "
            "technique and systemic chemotherapy, recurrence rates after resection remain high "
            "and second-line options in advanced disease are limited. CIK therapy addresses "
            "both post-surgical immune surveillance and systemic disease control as a "
            "chemotherapy combination partner."
        ),
        "quote": (
            "In gastric cancer, where relapse after surgery remains the rule rather than the "
            "exception, CIK offers a sustained immune defence that chemotherapy alone cannot "
            "provide."
        ),
    },
    {"kind": "settings", "heading": "Where CIK Fits in Gastric Cancer Treatment"},
    {
        "kind": "evidence",
        "heading": "Clinical Efficacy Data: CIK in Gastric Cancer",
        "intro": (
            "Selected outcomes from randomised controlled trials of CIK therapy in gastric "
            "cancer. Data derived from published Chinese academic centre RCTs and systematic "
            "reviews."
        ),
    },
    {
        "kind": "eligibility",
        "heading": "Gastric Cancer Patient Eligibility for CIK Therapy",
        "intro": (
            "CIK therapy applies across multiple gastric cancer treatment contexts. These "
            "parameters guide eligibility assessment at specialist centres."
        ),
    },
    {
        "kind": "balance",
        "heading": "CIK in Gastric Cancer — Benefits vs Limitations",
        "intro": (
            "A balanced clinical view of what CIK therapy adds to gastric cancer management "
            "and where its evidence boundaries lie."
        ),
    },
    {
        "kind": "key_numbers",
        "heading": "Gastric Cancer and CIK — Key Numbers",
        "intro": (
            "Contextual figures that frame both the disease burden and the clinical impact of "
            "CIK therapy in gastric cancer."
        ),
    },
    {
        "kind": "library",
        "heading": "More from the CIK Cell Therapy Resource Library",
        "intro": (
            "Continue exploring CIK therapy — from the patient introduction and manufacturing "
            "process to evidence in other cancers."
        ),
    },
    {"kind": "faq", "heading": "Frequently Asked Questions: CIK for Gastric Cancer"},
    {
        "kind": "help",
        "heading": "How CancerFax Helps",
        "intro": (
            "CancerFax is a specialist cancer access and patient-navigation platform. We help "
            "patients and families understand their options, organise medical records, "
            "coordinate hospital communication, and support cross-border treatment planning "
            "where appropriate."
        ),
        "note": (
            "CancerFax does not guarantee treatment access, eligibility, or clinical outcome. "
            "Our role is to help patients access accurate information, structured review, and "
            "appropriate specialist pathways."
        ),
    },
    {
        "kind": "call_to_action",
        "heading": "Is CIK Therapy an Option for Your Gastric Cancer?",
        "intro": (
            "CancerFax reviews your gastric cancer records — staging, histology, HER2 status, "
            "prior treatment, and surgical history — and identifies whether CIK therapy in "
            "combination is appropriate for your case, then connects you with specialist "
            "centres in China."
        ),
    },
]

GLANCE = [
    "Multiple RCTs confirm CIK + chemotherapy improves OS and PFS in gastric cancer over "
    "chemotherapy alone",
    "Used post-resection, in locally advanced disease, and alongside first-line chemotherapy "
    "regimens",
    "Quality of life benefits are consistently reported alongside survival improvements",
    "CancerFax coordinates CIK therapy access at specialist gastric cancer centres in China",
]

SETTINGS = [
    (
        "Post-Resection Adjuvant CIK",
        "Following D2 gastrectomy, CIK therapy targets residual micro-disease that is invisible "
        "to post-operative imaging — the primary driver of late recurrence. Multiple trials show "
        "improved disease-free survival with adjuvant CIK after curative resection.",
    ),
    (
        "CIK + First-Line Chemotherapy",
        "The strongest evidence base combines CIK infusions with FOLFOX, XELOX, or SOX "
        "chemotherapy regimens in locally advanced or metastatic gastric cancer — showing "
        "improved ORR, PFS, and OS versus chemotherapy alone in randomised trials.",
    ),
    (
        "HER2-Positive Gastric Cancer",
        "For HER2-positive gastric cancer patients receiving trastuzumab-based therapy, CIK "
        "combination data is limited but biologically plausible — antibody-dependent cellular "
        "cytotoxicity (ADCC) of trastuzumab may synergise with CIK cytotoxic mechanisms.",
    ),
    (
        "Quality of Life Preservation",
        "Across multiple trials, patients receiving CIK alongside chemotherapy reported better "
        "appetite, reduced fatigue, and improved Karnofsky performance scores compared to "
        "chemotherapy alone — a clinically meaningful benefit in a disease with significant "
        "treatment burden.",
    ),
]

OUTCOMES = [
    {
        "title": "CIK + Chemotherapy vs Chemotherapy Alone — Overall Survival",
        "measure": "1-year OS",
        "description": (
            "Pooled 1-year OS data from Chinese RCTs comparing CIK + FOLFOX/XELOX vs "
            "chemotherapy alone in locally advanced/metastatic gastric cancer."
        ),
        "source": "",
        "treatment_label": "CIK + chemo",
        "treatment_low": Decimal(70),
        "treatment_high": Decimal(76),
        "control_label": "chemo alone",
        "control_low": Decimal(55),
        "control_high": Decimal(62),
    },
    {
        "title": "CIK + Chemotherapy vs Chemotherapy Alone — Disease Control Rate",
        "measure": "DCR",
        "description": "DCR (CR+PR+SD) comparison from multiple gastric cancer RCTs.",
        "source": "Systematic reviews of CIK gastric cancer trials, 2012–2022.",
        "treatment_label": "CIK + chemo",
        "treatment_low": Decimal(78),
        "treatment_high": Decimal(85),
        "control_label": "chemo alone",
        "control_low": Decimal(63),
        "control_high": Decimal(71),
    },
    {
        "title": "Post-Resection Adjuvant CIK — 3-Year DFS",
        "measure": "3-year DFS",
        "description": (
            "3-year disease-free survival in post-gastrectomy patients receiving adjuvant CIK "
            "vs observation/chemotherapy alone."
        ),
        "source": "Chinese adjuvant CIK trials.",
        "treatment_label": "adjuvant CIK",
        "treatment_low": Decimal(55),
        "treatment_high": Decimal(65),
        "control_label": "control arm",
        "control_low": Decimal(40),
        "control_high": Decimal(50),
    },
]

BALANCE = [
    (
        "benefit",
        "Survival benefit in combination",
        "RCTs consistently show OS and PFS improvement when CIK is added to platinum-based "
        "doublet chemotherapy in locally advanced and metastatic gastric cancer.",
    ),
    (
        "benefit",
        "Compatible with all major chemo regimens",
        "CIK has been studied alongside FOLFOX, XELOX, SOX, and FLOT-equivalent regimens "
        "without significant additive toxicity.",
    ),
    (
        "benefit",
        "Quality of life improvement",
        "Reduced fatigue, improved appetite, and better Karnofsky scores are consistently "
        "reported — meaningful in a disease known for significant treatment burden.",
    ),
    (
        "benefit",
        "Post-surgical recurrence reduction",
        "Adjuvant CIK following curative gastrectomy addresses the high relapse risk that even "
        "optimal surgery and perioperative chemotherapy cannot eliminate.",
    ),
    (
        "limitation",
        "Chinese trial predominance",
        "The evidence base is almost entirely from Chinese academic centres. Western guidelines "
        "(ESMO, NCCN) do not yet include CIK in gastric cancer recommendations.",
    ),
    (
        "limitation",
        "Limited HER2+ data",
        "For the growing proportion of gastric cancer patients receiving trastuzumab or "
        "trastuzumab deruxtecan, CIK-specific combination data is very limited.",
    ),
    (
        "limitation",
        "Requires multiple treatment cycles",
        "Sustained benefit requires 3–6 CIK cycles over several months — demanding sustained "
        "treatment commitment and repeated hospital visits.",
    ),
    (
        "limitation",
        "Variable response in diffuse-type",
        "Lauren diffuse-type and signet ring cell gastric cancers have distinct immune biology "
        "and limited CIK-specific subgroup data compared to intestinal type.",
    ),
]

KEY_NUMBERS = [
    (
        "#5",
        "Global cancer incidence rank for gastric cancer",
        "Gastric cancer disproportionately affects East Asian populations — the same population "
        "where CIK evidence has been generated.",
    ),
    (
        "+15–18%",
        "Approximate 1-year OS improvement with CIK + chemo vs chemo alone",
        "A meaningful absolute benefit in a disease where second-line options are limited and "
        "median OS with chemotherapy alone is 10–14 months.",
    ),
    (
        "14–21 days",
        "CIK manufacturing time — compatible with FOLFOX/XELOX cycle spacing",
        "CIK manufacturing fits within the 3-week rest interval between chemotherapy cycles, "
        "allowing seamless integration.",
    ),
]

FAQS = [
    (
        "Can CIK therapy be used alongside trastuzumab for HER2-positive gastric cancer?",
        "This is an area with limited but biologically interesting data. Trastuzumab kills "
        "HER2-overexpressing cancer cells partly via antibody-dependent cellular cytotoxicity "
        "(ADCC) — a mechanism that involves NK cells, which share surface markers with CIK cells. "
        "This suggests a potential synergy, but clinical trial data for CIK + trastuzumab in "
        "HER2-positive gastric cancer is sparse. A specialist oncologist at the treating centre "
        "would need to assess this combination on a case-by-case basis.",
    ),
    (
        "When after gastrectomy should CIK therapy begin?",
        "Most published protocols initiate blood collection for CIK manufacturing 3–4 weeks "
        "after surgery, once the patient has recovered sufficient immune function and "
        "nutritional status. Manufacturing then takes 14–21 days, meaning first infusion "
        "typically occurs 5–7 weeks post-operatively. Your treating oncologist will determine "
        "timing based on your recovery, pathological staging, and whether adjuvant chemotherapy "
        "is also planned.",
    ),
    (
        "Can CIK therapy help with gastric cancer that has spread to the peritoneum?",
        "Peritoneal metastasis from gastric cancer is one of the most challenging clinical "
        "scenarios. Systemic CIK therapy has limited direct efficacy against established "
        "peritoneal disease given the immunosuppressive peritoneal microenvironment. Some "
        "specialist centres in China are exploring intraperitoneal CIK delivery, but this "
        "remains investigational. CancerFax can identify centres conducting trials in this area "
        "for eligible patients.",
    ),
    (
        "How does CancerFax help gastric cancer patients access CIK therapy?",
        "We begin by reviewing your complete gastric cancer records — pathology (including "
        "Lauren classification and HER2 status), staging CT/PET imaging, surgical reports if "
        "applicable, and current or prior chemotherapy regimens. We prepare a structured "
        "oncology summary and identify the most appropriate specialist centre in China based "
        "on your disease profile. We then coordinate eligibility confirmation, treatment cost "
        "estimates, consultation scheduling, and logistics for your visit.",
    ),
]

HELP_STEPS = [
    "We help collect and organise reports, scans, pathology, biomarker results, and treatment "
    "history for structured case review.",
    "We communicate with hospitals or trial teams to assess whether a case may be suitable for "
    "further screening.",
    "We support appointment coordination, document submission, translation, and direct "
    "communication with international departments.",
    "For international patients, we help with practical coordination — travel planning, "
    "hospital admission guidance, and local support.",
    "If this option is not suitable, we help explore other relevant treatments, clinical "
    "trials, or advanced care pathways.",
    "From inquiry through to follow-up, our coordinators provide a single point of contact for "
    "the family.",
]

CALLS_TO_ACTION = [
    ("Check eligibility in a minute", "/eligibility/", True),
    ("Submit records for review", "/submit/", False),
]

REASON = "Loaded from the source document"


def _record_history(apps, model_name: str, obj, now) -> None:
    """The first history entry, as simple_history would have written it on creation."""
    Historical = apps.get_model("content", f"Historical{model_name}")
    values = {}
    for field in Historical._meta.fields:
        if field.name.startswith("history_"):
            continue
        values[field.attname] = getattr(obj, field.attname)
    Historical.objects.create(
        **values, history_date=now, history_type="+", history_change_reason=REASON
    )


def load(apps, schema_editor) -> None:
    InformationPage = apps.get_model("content", "InformationPage")
    if InformationPage.objects.filter(path=PATH).exists():
        return
    now = timezone.now()
    page = InformationPage.objects.create(**PAGE)
    _record_history(apps, "InformationPage", page, now)

    def add(model_name: str, position: int, **fields) -> None:
        obj = apps.get_model("content", model_name).objects.create(
            page=page, position=position, **fields
        )
        _record_history(apps, model_name, obj, now)

    for n, section in enumerate(SECTIONS, start=1):
        add("Section", n * 10, **section)
    for n, text in enumerate(GLANCE, start=1):
        add("GlancePoint", n, text=text)
    for n, (title, body) in enumerate(SETTINGS, start=1):
        add("SettingCard", n, title=title, body=body)
    for n, outcome in enumerate(OUTCOMES, start=1):
        add("EvidenceOutcome", n, unit="%", approximate=True, **outcome)
    for n, (side, title, body) in enumerate(BALANCE, start=1):
        add("BalancePoint", n, side=side, title=title, body=body)
    for n, (figure, label, explanation) in enumerate(KEY_NUMBERS, start=1):
        add("KeyNumber", n, figure=figure, label=label, explanation=explanation)
    for n, (question, answer) in enumerate(FAQS, start=1):
        add("FAQ", n, question=question, answer=answer)
    for n, text in enumerate(HELP_STEPS, start=1):
        add("HelpStep", n, text=text)
    for n, (label, url, primary) in enumerate(CALLS_TO_ACTION, start=1):
        add("CallToAction", n, label=label, url=url, primary=primary)


def unload(apps, schema_editor) -> None:
    apps.get_model("content", "InformationPage").objects.filter(path=PATH).delete()


class Migration(migrations.Migration):
    dependencies = [("content", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
