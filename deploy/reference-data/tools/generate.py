#!/usr/bin/env python3
"""Writes the 2015/16 reference dataset (deploy/reference-data/2015-16/) from the figures of
the reference annual report (../shared/reference/annual-report-2015-16.txt).

The CSV/TOML files it writes are the dataset; this script only exists so that the made-up
breakdowns (which must add up to the report's published totals) are reproducible and checked.
Run it from the repository root:  python3 deploy/reference-data/tools/generate.py
It is deterministic (fixed seed) and asserts every published total it depends on.
"""

import csv
import os
import random

OUT = os.path.join(os.path.dirname(__file__), "..", "2015-16")
rng = random.Random(201516)


def write_csv(name, header, rows):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            assert len(r) == len(header), (name, r)
            w.writerow(["" if v is None else v for v in r])


def split(total, weights):
    """Splits `total` into integer parts proportional to `weights`, summing exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    parts = [int(x) for x in raw]
    rest = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[:rest]:
        parts[i] += 1
    assert sum(parts) == total
    return parts


# ----------------------------------------------------------------------------------------
# Indicators: definitions
# ----------------------------------------------------------------------------------------
IND_HEADER = [
    "code", "title", "description", "unit", "polarity", "priorities", "question", "themes",
    "framework_area", "frequency", "aggregation", "rate_numerator", "rate_denominator",
    "rate_multiplier", "target_value", "target_low", "target_high", "target_amber",
    "target_from", "expected_agencies", "breakdown_dimension", "breakdown_label",
    "breakdown_values", "breakdown_overlapping", "tolerance", "deadline_days",
]
indicators = []


def ind(code, title, unit, polarity, priorities, question, themes, frequency, aggregation,
        description="", framework="", rate=None, target=None, band=None, amber="",
        breakdown=None, tolerance=""):
    rn, rd, rm = rate if rate else ("", "", "")
    tv = target if target is not None else ""
    tl, th = band if band else ("", "")
    bd, bl, bv, bo = breakdown if breakdown else ("", "", [], False)
    indicators.append([
        code, title, description, unit, polarity, ";".join(priorities), question,
        ";".join(themes), framework, frequency, aggregation, rn, rd, rm, tv, tl, th, amber,
        "", "", bd, bl, ";".join(bv), "true" if bo else ("false" if bd else ""), tolerance, "",
    ])


PCT = ("", "", "100")      # percent computed from the observation's own numerator/denominator
RATE = ("", "", "10000")   # rate per 10,000 children from its own numerator/denominator

# Part 1: context and key facts
C = ["context"]
ind("CTX.POPULATION", "Population of Birmingham", "count", "context", C, "how_much", [], "annual", "last",
    "Estimated resident population (ONS mid-year estimate; the report: 'over 1.1 million as of 2014').")
ind("CTX.POPULATION_GROWTH", "Population growth 2011-2014", "percent", "context", C, "how_much", [], "annual", "last",
    "Growth of the resident population between 2011 and 2014.")
ind("CTX.UNDER_30_SHARE", "Population aged under 30", "percent", "context", C, "how_much", [], "annual", "last",
    "Share of the population aged under 30 ('just under 46%').")
ind("CTX.CHILD_POPULATION", "Child population aged 0-17", "count", "context", C, "how_much", [], "annual", "last",
    "Children aged 0-17: the population of the rates per 10,000 children.")
ind("CTX.POP_0_4", "Children aged 0-4", "count", "context", C, "how_much", [], "annual", "last",
    "Children aged 0-4; 2020-21 is the five-year projection.")
ind("CTX.POP_5_9", "Children aged 5-9", "count", "context", C, "how_much", [], "annual", "last",
    "Children aged 5-9; 2020-21 is the five-year projection.")
ind("CTX.POP_10_14", "Children aged 10-14", "count", "context", C, "how_much", [], "annual", "last",
    "Children aged 10-14; 2020-21 is the five-year projection.")
ind("CTX.ETHNIC_NOT_WHITE_BRITISH", "Residents not White British", "percent", "context", C, "how_much", [], "annual", "last",
    "Share of residents classifying themselves in an ethnic group other than White British (census).")
ind("CTX.U18_NOT_WHITE_BRITISH", "Under-18s not White British", "percent", "context", C, "how_much", [], "annual", "last",
    "Share of the under-18 population from a background other than White British (census).")
ind("CTX.HOUSEHOLDS_NO_ENGLISH", "Households without English as main language", "percent", "context", C, "how_much", [], "annual", "last",
    "Households where no one has English as a main language (2011 census).")
ind("CTX.EAL_PUPILS", "Pupils with a first language other than English", "count", "context", C, "how_much", [], "annual", "last",
    "School pupils whose first language is known or believed to be other than English.")
ind("CTX.EAL_PUPILS_SHARE", "Pupils with a first language other than English (share)", "percent", "context", C, "how_much", [], "annual", "last",
    "Share of school pupils whose first language is other than English.")
ind("CTX.IMD_RANK", "Index of Multiple Deprivation rank", "count", "context", C, "how_much", [], "annual", "last",
    "Rank among local authority districts by the Index of Multiple Deprivation (1 = most deprived).")
ind("CTX.IDACI_RANK", "Income Deprivation Affecting Children Index rank", "count", "context", C, "how_much", [], "annual", "last",
    "National rank by the IDACI (1 = most deprived).")
ind("CTX.CHILDREN_DEPRIVED_HOUSEHOLDS", "Children living in a deprived household", "percent", "context", C, "how_much", [], "annual", "last",
    "Share of children living in an income-deprived household ('over 30%').")
ind("CTX.CHILD_POVERTY", "Children in poverty after housing costs", "percent", "context", C, "how_much", [], "annual", "last",
    "Children living below the poverty line after housing costs; the England benchmark holds the UK average.")
ind("CTX.CHILD_POVERTY_RANK", "Child poverty rank among local authorities", "count", "context", C, "how_much", [], "annual", "last",
    "Rank among all local authorities for child poverty (1 = highest).")
ind("CTX.SCHOOLS", "Schools in the city", "count", "context", C, "how_much", [], "annual", "last",
    "Schools: academies, free schools and maintained schools.")
ind("CTX.EDUCATION_ESTABLISHMENTS", "Education establishments", "count", "context", C, "how_much", [], "annual", "last",
    "Schools, children's centres and further education colleges linked to the board.")
ind("CTX.ELECTIVE_HOME_EDUCATION", "Children in elective home education", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.SEN_PUPILS", "Pupils with special educational needs", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.CHILDRENS_CENTRES", "Children's centres", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.YOUTH_SERVICE_USERS", "Young people aged 11-25 receiving a youth service", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.YOUTH_SERVICE_BME", "Youth service users from BME backgrounds", "percent", "context", C, "how_much", [], "annual", "last")
ind("CTX.YOS_PROGRAMMES", "Youth Offending Service programmes", "count", "context", C, "how_much", [], "annual", "sum",
    "Programmes provided by the Youth Offending Service ('more than 3,059').")
ind("CTX.CCGS", "Clinical Commissioning Groups", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.GP_PRACTICES", "GP practices", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.GPS", "GPs", "count", "context", C, "how_much", [], "annual", "last")
ind("CTX.CHILDREN_WORKFORCE", "Children's workforce in the statutory sector", "count", "context", C, "how_much", [], "annual", "last",
    "Estimated workforce in daily contact with children and young people in the statutory sector.")
ind("CTX.NEET", "Young people aged 16-19 not in education, employment or training", "count", "lower_is_better", C, "how_much", [], "annual", "last",
    framework="outcomes")
ind("CTX.NEET_RATE", "Young people aged 16-19 NEET (share)", "percent", "lower_is_better", C, "how_well", [], "annual", "last",
    "NEET young people over the 16-19 cohort.", framework="outcomes", rate=PCT)
ind("CTX.CARE_LEAVERS_SUITABLE_ACCOMMODATION", "Care leavers in suitable accommodation (key facts)", "percent", "higher_is_better", C, "how_well", ["care_leavers"], "annual", "last",
    "As quoted in Part 1 of the report; Part 2 quotes the quarterly measure CL.SUITABLE_ACCOMMODATION.", framework="outcomes")
ind("CTX.CARE_LEAVERS_NEET", "Care leavers NEET at the end of March (key facts)", "percent", "lower_is_better", C, "how_well", ["care_leavers"], "annual", "last",
    "Care leavers not in education, employment or training at 31 March over all care leavers.", framework="outcomes", rate=PCT)

# Priority 1: voice of the child
V = ["voice_of_the_child"]
ind("VOC.LAC_REVIEW_PARTICIPATION", "Looked after children participating in their reviews", "percent", "higher_is_better", V, "how_well", ["children_in_care"], "annual", "last",
    "Share of looked after children who participated in their reviews (figure 1).", framework="cp_plans")

# Priority 2: early help
E = ["early_help"]
ind("EH.FCAF_OPENED", "Family Common Assessment Frameworks opened", "count", "higher_is_better", E, "how_much", ["early_help"], "quarterly", "sum",
    "Early help assessments (fCAF) initiated (figure 2).", framework="cp_activity")
ind("EH.FAMILY_SUPPORT_ASSESSMENTS", "Family support assessments opened", "count", "context", E, "how_much", ["early_help"], "annual", "sum",
    "Assessments opened by Family Support (the report covers July 2015 to March 2016).", framework="cp_activity")
ind("EH.THINK_FAMILY_FAMILIES", "Families worked with by the Think Family programme", "count", "higher_is_better", E, "how_well", ["early_help"], "annual", "sum",
    "Families identified and worked with in phase 2 of Think Family; the 2015-16 target is 2,409 of 14,170 by 2020.",
    framework="cp_activity", target="2409")

# Priority 3: safe systems
S = ["safe_systems"]
LPUS = ["birmingham_north", "birmingham_east", "birmingham_south", "birmingham_west_and_central"]
ind("CAIT.CRIMES", "Recorded crimes against children investigated by CAIT", "count", "context", S, "how_much", [], "monthly", "sum",
    "Crimes against children in Birmingham investigated by the Child Abuse Investigation Teams (figures 6 and 7).",
    framework="cp_activity", breakdown=("policing_unit", "Local policing unit", LPUS, False))
ind("CAIT.CRIMES_WEST_MIDLANDS", "Recorded crimes against children, West Midlands force area", "count", "context", S, "how_much", [], "annual", "sum",
    "All crimes against children investigated by CAIT across the West Midlands Police area.")
ind("CAIT.OPEN_INVESTIGATIONS", "Birmingham CAIT crimes still under investigation", "count", "context", S, "how_much", [], "annual", "last",
    "Crimes of the year still being investigated at 1 April.")
PP_CATS = ["neglect_or_unsafe_home", "domestic_abuse", "parent_under_influence", "abandoned_or_left_alone", "missing_or_runaway", "other"]
ind("POLICE.PROTECTION", "Occasions police protection was used", "count", "context", S, "how_much", [], "annual", "sum",
    "Occasions police protection powers were used in Birmingham (figure 8).", framework="cp_activity",
    breakdown=("category", "Category", PP_CATS, False))
ind("POLICE.PROTECTION_CHILDREN", "Children taken into police protection", "count", "context", S, "how_much", [], "annual", "sum")
ind("MASH.CONTACTS", "Contacts received by the MASH", "count", "context", S, "how_much", [], "quarterly", "sum",
    "Contacts logged by the Multi-Agency Safeguarding Hub (figure 9).", framework="cp_activity")
ind("MASH.REFERRALS", "Referrals to children's social care", "count", "context", S, "how_much", [], "quarterly", "sum",
    framework="cp_activity")
ind("MASH.CONVERSION_RATE", "Contacts converted to referrals", "percent", "context", S, "how_well", [], "quarterly", "recompute",
    "Referrals over contacts (figure 9).", framework="decision_making", rate=PCT)
ind("CSC.ASSESSMENTS", "Assessments carried out", "count", "context", S, "how_much", [], "quarterly", "sum", framework="cp_activity")
ind("CSC.S47_ENQUIRIES", "Section 47 enquiries", "count", "context", S, "how_much", [], "quarterly", "sum", framework="cp_activity")
ind("CSC.REREFERRAL_RATE", "Re-referrals within 12 months", "percent", "within_band", S, "how_well", [], "quarterly", "recompute",
    "Referrals within 12 months of a previous referral over all referrals (figure 10).", framework="decision_making",
    rate=PCT, band=("18", "25"), amber="2")
ind("CSC.FA_UNALLOCATED", "Family assessments unallocated after 7 working days", "count", "lower_is_better", S, "how_well", [], "quarterly", "last",
    "Family assessments not allocated to a social worker within seven working days, at quarter end.",
    framework="decision_making", target="0")
ind("CSC.FA_OUT_OF_TIME", "Open family assessments over 45 days", "count", "lower_is_better", S, "how_well", [], "quarterly", "last",
    "Open family assessments older than 45 days at quarter end (figure 11).", framework="decision_making", target="0")
CP_CATS = ["emotional_abuse", "neglect", "physical_abuse", "sexual_abuse", "multiple"]
ind("CSC.CP_PLANS", "Children subject of a child protection plan", "count", "context", S, "how_much", [], "quarterly", "last",
    "Children subject of a child protection plan at quarter end, by initial category of abuse (figures 12 and 13).",
    framework="cp_activity", breakdown=("category_of_abuse", "Category of abuse", CP_CATS, False))
ind("CSC.CP_RATE", "Child protection plans per 10,000 children", "rate_per_10000", "context", S, "how_much", [], "quarterly", "last",
    "Children subject of a plan per 10,000 children aged 0-17.", framework="outcomes", rate=RATE, tolerance="1")
ind("CSC.LAC", "Children in care", "count", "context", S, "how_much", ["children_in_care"], "quarterly", "last",
    "Children looked after at quarter end.", framework="cp_activity")
ind("CSC.LAC_RATE", "Children in care per 10,000 children", "rate_per_10000", "context", S, "how_much", ["children_in_care"], "quarterly", "last",
    "Children looked after per 10,000 children aged 0-17.", framework="outcomes", rate=RATE, tolerance="1")
ind("CSC.CIN", "Children on a child in need plan", "count", "context", S, "how_much", [], "quarterly", "last",
    framework="cp_activity")
ind("HEALTH.LAC_ASSESSMENTS", "Children in care with a health assessment in the last 12 months", "percent", "higher_is_better", S, "how_well", ["children_in_care"], "quarterly", "last",
    "Builds up from zero on 1 April: the year's figure is the fourth quarter's (figure 14).", framework="cp_plans",
    rate=PCT, target="90")
ind("CL.SUITABLE_ACCOMMODATION", "Care leavers in suitable accommodation", "percent", "higher_is_better", S, "how_well", ["care_leavers"], "quarterly", "last",
    "Figure 15.", framework="outcomes", rate=PCT)
ind("CL.EET", "Care leavers in education, employment or training", "percent", "higher_is_better", S, "how_well", ["care_leavers"], "quarterly", "last",
    "Figure 15.", framework="outcomes", rate=PCT)
ind("WF.SW_CASELOAD", "Average social worker caseload", "ratio", "lower_is_better", S, "how_much", [], "quarterly", "last",
    "Average cases per social worker at quarter end (figure 16).", framework="workforce")
ind("WF.HV_CASELOAD", "Average health visitor caseload", "ratio", "lower_is_better", S, "how_much", [], "quarterly", "last",
    "Average cases per health visitor at quarter end (figure 16).", framework="workforce")
LADO_SRC = ["education", "police", "childrens_social_care", "health", "early_years_childcare", "voluntary_and_faith", "other"]
ind("LADO.REFERRALS", "Referrals to the LADO", "count", "context", S, "how_much", ["allegations_lado"], "annual", "sum",
    "Allegations against people in positions of trust referred to the Local Authority Designated Officer, by source (figure 21).",
    framework="cp_activity", breakdown=("referral_source", "Referral source", LADO_SRC, False))
ind("LADO.FORMAL_MEETINGS", "LADO referrals proceeding to a formal meeting", "count", "context", S, "how_much", ["allegations_lado"], "annual", "sum")
ind("CSE.INCIDENTS", "CSE-related incidents recorded by the police in Birmingham", "count", "context", S, "how_much", ["cse"], "annual", "sum",
    "Crimes and non-crimes with a CSE special interest marker (figure 23).")
ind("CSE.INCIDENTS_WEST_MIDLANDS", "CSE-related incidents, West Midlands", "count", "context", S, "how_much", ["cse"], "annual", "sum")
ind("CSE.AT_RISK", "Young people aged 11-17 identified at risk of CSE", "count", "context", S, "how_much", ["cse"], "annual", "last",
    "Identified at risk in March.")
ind("MISSING.INCIDENTS", "Missing children incidents", "count", "context", S, "how_much", ["missing_children"], "annual", "sum",
    "Incidents of missing children recorded by West Midlands Police in Birmingham (figures 25 and 26).",
    breakdown=("age_band", "Age band", ["under_12", "12_to_17"], False))
ind("PF.NEW_ARRANGEMENTS", "New private fostering arrangements assessed", "count", "context", S, "how_much", ["private_fostering"], "annual", "sum")
ind("PF.ARRANGEMENTS_ENDED", "Private fostering arrangements assessed in the year that ended", "count", "context", S, "how_much", ["private_fostering"], "annual", "sum")
ind("PF.ARRANGEMENTS_REMAINING", "Private fostering arrangements assessed in the year that remain", "count", "context", S, "how_much", ["private_fostering"], "annual", "last")
ind("PF.CHILDREN", "Children in private fostering arrangements", "count", "context", S, "how_much", ["private_fostering"], "annual", "last")
ind("DA.CIN_LIVING_WITH_DA", "Children in need living with domestic abuse", "percent", "lower_is_better", S, "how_much", ["domestic_abuse"], "annual", "last")
ind("DA.JOINT_SCREENING_INCREASE", "Increase in notifications to joint screening of domestic abuse", "percent", "context", S, "how_much", ["domestic_abuse"], "annual", "last")
ind("DA.HIGH_RISK_REFERRALS_INCREASE", "Increase in referrals of adults at high risk of serious harm", "percent", "context", S, "how_much", ["domestic_abuse"], "annual", "last")
ind("DA.DHR_BEREAVED_CHILDREN", "Children bereaved through the homicide of their mother", "count", "context", S, "how_much", ["domestic_abuse"], "annual", "sum",
    "Thirteen since domestic homicide reviews began in 2011.")
ind("FGM.POLICE_REPORTS", "FGM reports to the police", "count", "context", S, "how_much", ["fgm"], "annual", "sum")
ind("FGM.PROTECTION_ORDERS", "FGM Protection Orders issued", "count", "context", S, "how_much", ["fgm"], "annual", "sum")
ind("PREVENT.WRAP_TRAINED", "Front-line school staff trained in WRAP", "count", "context", S, "how_much", ["radicalisation"], "annual", "sum",
    "Workshop to Raise Awareness of Prevent ('over 15,000').")
ind("FM.INCIDENTS", "Forced marriage incidents reported", "count", "context", S, "how_much", ["forced_marriage"], "annual", "sum")
ind("FM.PROTECTION_ORDERS", "Forced Marriage Protection Orders granted", "count", "context", S, "how_much", ["forced_marriage"], "annual", "sum")
ind("CDOP.CHILD_DEATHS", "Child deaths reviewed by the Child Death Overview Panel", "count", "context", S, "how_much", ["child_deaths"], "annual", "sum",
    "Deaths of children under 18 in the year (the panel reviews them the following year).", framework="outcomes")
ind("SCHOOLS.DSL_ATTENDANCE", "Schools attending DSL briefings or conferences", "percent", "higher_is_better", S, "how_well", ["education"], "annual", "last")
ind("SCHOOLS.DSL_KNOWLEDGE_INCREASE", "Increase in DSL delegates' knowledge and skills", "percent", "higher_is_better", S, "how_well", ["education"], "annual", "last")
ind("SCHOOLS.RRSA_REGISTERED", "Schools registered for the Rights Respecting Schools Award", "count", "higher_is_better", S, "how_much", ["education"], "annual", "last")
ind("SCHOOLS.RSRT_TRAINED", "Schools that have undertaken Right Service, Right Time training", "percent", "higher_is_better", S, "how_much", ["education"], "annual", "last")
ind("SCHOOLS.IA_VISITED", "Maintained schools visited by internal audit", "count", "context", S, "how_much", ["education"], "annual", "sum")
ind("SCHOOLS.IA_INTERNET_MONITORING", "Schools visited with appropriate internet monitoring", "percent", "higher_is_better", S, "how_well", ["education"], "annual", "last")
ind("SCHOOLS.IA_LETTINGS", "Schools visited fully compliant on due diligence for lettings", "percent", "higher_is_better", S, "how_well", ["education"], "annual", "last")
ind("SCHOOLS.IA_S175_GOVERNORS", "Schools visited with governing body approval of the Section 175", "percent", "higher_is_better", S, "how_well", ["education"], "annual", "last")
ind("RSRT.CONFIDENCE", "Staff confident in determining levels of need after RSRT training", "percent", "higher_is_better", S, "how_well", ["training"], "annual", "last",
    "From the six-month impact assessment of single-agency Right Service, Right Time training.")

# Part 3: the board
B = ["business"]
ind("BOARD.MEMBERS", "Board members", "count", "context", B, "how_much", [], "annual", "last")
ind("BOARD.FEMALE_SHARE", "Board members who are women", "percent", "context", B, "how_much", [], "annual", "last")
ind("BOARD.MEETINGS", "Board meetings", "count", "context", B, "how_much", [], "annual", "sum")
ind("BOARD.PRACTITIONERS_FORUM", "Practitioners Forum members", "count", "context", B, "how_much", [], "annual", "last")
ind("BOARD.MASH_REVIEW_RECOMMENDATIONS", "Recommendations of the independent MASH review", "count", "context", B, "how_much", [], "annual", "sum")

write_csv("indicators.csv", IND_HEADER, indicators)
CODES = {r[0] for r in indicators}

# ----------------------------------------------------------------------------------------
# Indicators: observations and benchmarks
# ----------------------------------------------------------------------------------------
OBS_HEADER = ["indicator", "period", "agency", "breakdown", "value", "numerator", "denominator", "status", "comment"]
obs = []


def o(code, period, value="", num="", den="", breakdown="", comment="", agency=""):
    assert code in CODES, code
    obs.append([code, period, agency, breakdown, value, num, den, "final", comment])


CHILD_POP = 273800  # made up so that 1,807 / 273,800 x 10,000 = 66 (report: LAC rate 66)
o("CTX.POPULATION", "2014-15", "1101360", comment="ONS mid-2014 estimate; the report says 'over 1.1 million'")
o("CTX.POPULATION", "2030-31", "1251360", comment="projection: 'expected to grow by a further 150,000 people by 2031'")
o("CTX.POPULATION_GROWTH", "2014-15", "3")
o("CTX.UNDER_30_SHARE", "2014-15", "45.9", comment="'just under 46%'")
o("CTX.CHILD_POPULATION", "2015-16", str(CHILD_POP))
o("CTX.CHILD_POPULATION", "2014-15", "272600")
# Five-year projections: 0-4 grows 1.1% to 87,753; 5-9 5.0% to 84,588; 10-14 7.7% to 78,876.
o("CTX.POP_0_4", "2015-16", "86798"); o("CTX.POP_0_4", "2020-21", "87753")
o("CTX.POP_5_9", "2015-16", "80560"); o("CTX.POP_5_9", "2020-21", "84588")
o("CTX.POP_10_14", "2015-16", "73237"); o("CTX.POP_10_14", "2020-21", "78876")
o("CTX.ETHNIC_NOT_WHITE_BRITISH", "2001-02", "30", comment="2001 census")
o("CTX.ETHNIC_NOT_WHITE_BRITISH", "2011-12", "42.1", comment="2011 census")
o("CTX.U18_NOT_WHITE_BRITISH", "2001-02", "44", comment="2001 census ('around 44%')")
o("CTX.U18_NOT_WHITE_BRITISH", "2011-12", "60", comment="2011 census ('over 60%')")
o("CTX.HOUSEHOLDS_NO_ENGLISH", "2011-12", "7.5")
o("CTX.EAL_PUPILS", "2014-15", "37600")
o("CTX.EAL_PUPILS", "2015-16", "38089")
o("CTX.EAL_PUPILS_SHARE", "2015-16", "43")
o("CTX.IMD_RANK", "2015-16", "6")
o("CTX.IDACI_RANK", "2015-16", "15")
o("CTX.CHILDREN_DEPRIVED_HOUSEHOLDS", "2015-16", "30", comment="'over 30%'")
o("CTX.CHILD_POVERTY", "2014-15", "37")
o("CTX.CHILD_POVERTY_RANK", "2014-15", "8")
o("CTX.SCHOOLS", "2015-16", "447")
o("CTX.EDUCATION_ESTABLISHMENTS", "2015-16", "526")
o("CTX.ELECTIVE_HOME_EDUCATION", "2015-16", "938")
o("CTX.SEN_PUPILS", "2015-16", "34289")
o("CTX.CHILDRENS_CENTRES", "2015-16", "73")
o("CTX.YOUTH_SERVICE_USERS", "2015-16", "10750")
o("CTX.YOUTH_SERVICE_BME", "2015-16", "62")
o("CTX.YOS_PROGRAMMES", "2015-16", "3059")
o("CTX.CCGS", "2015-16", "3")
o("CTX.GP_PRACTICES", "2015-16", "275")
o("CTX.GPS", "2015-16", "1148")
o("CTX.CHILDREN_WORKFORCE", "2015-16", "85000")
o("CTX.NEET", "2015-16", "2006")
o("CTX.NEET_RATE", "2015-16", num="2006", den="37148")
o("CTX.CARE_LEAVERS_SUITABLE_ACCOMMODATION", "2015-16", "95.8")
o("CTX.CARE_LEAVERS_NEET", "2015-16", num="42", den="85")

o("VOC.LAC_REVIEW_PARTICIPATION", "2015-16", "97")

for q, v in zip(range(1, 5), split(1807, [420, 440, 455, 492])):
    o("EH.FCAF_OPENED", f"2015-16-Q{q}", str(v))
o("EH.FAMILY_SUPPORT_ASSESSMENTS", "2015-16", "4997", comment="July 2015 to March 2016")
o("EH.THINK_FAMILY_FAMILIES", "2015-16", "3623", comment="Target exceeded; an additional £1.2M secured")

# CAIT: monthly, made up to give 1,517 and 2,031 with the report's quarter relations
cait = {
    "2014-15": [110, 118, 112, 128, 100, 132, 135, 140, 108, 140, 142, 152],
    "2015-16": [150, 162, 158, 172, 128, 180, 185, 190, 150, 178, 180, 198],
}
assert sum(cait["2014-15"]) == 1517 and sum(cait["2015-16"]) == 2031
q = [sum(cait["2015-16"][i:i + 3]) for i in (0, 3, 6, 9)]
assert round(100 * (q[3] - q[2]) / q[2]) == 6          # Q4 6% higher than Q3
assert round(100 * (q[3] - sum(cait["2014-15"][9:])) / sum(cait["2014-15"][9:])) == 28
assert max(cait["2015-16"]) == cait["2015-16"][11]      # peak in March 2016
LPU_W = [21, 28, 23, 28]
for fy, months in cait.items():
    y0 = int(fy[:4])
    for i, v in enumerate(months):
        m = 4 + i
        year, month = (y0, m) if m <= 12 else (y0 + 1, m - 12)
        p = f"{year}-{month:02d}"
        o("CAIT.CRIMES", p, str(v))
        for lpu, part in zip(LPUS, split(v, LPU_W)):
            o("CAIT.CRIMES", p, str(part), breakdown=lpu)
o("CAIT.CRIMES_WEST_MIDLANDS", "2014-15", "3683")
o("CAIT.CRIMES_WEST_MIDLANDS", "2015-16", "5267")
o("CAIT.OPEN_INVESTIGATIONS", "2015-16", "386", comment="At 1 April 2016: 19% of the year's Birmingham crimes")

for fy, total, w in (("2014-15", 428, [130, 92, 70, 58, 45, 33]), ("2015-16", 321, [96, 72, 50, 45, 33, 25])):
    o("POLICE.PROTECTION", fy, str(total))
    for cat, part in zip(PP_CATS, split(total, w)):
        o("POLICE.PROTECTION", fy, str(part), breakdown=cat)
o("POLICE.PROTECTION_CHILDREN", "2015-16", "467")

# MASH: referrals 13,013, assessments 11,470, S47 3,781 (quarters made up); contacts made up.
ref_q = {"2014-15": [3900, 3850, 3600, 3350], "2015-16": [3450, 3300, 3143, 3120]}
assert sum(ref_q["2015-16"]) == 13013
con_q = {"2014-15": [11200, 11000, 10300, 9900], "2015-16": [10400, 10100, 9200, 9500]}
rr_q = {"2014-15": [898, 905, 830, 740], "2015-16": [752, 710, 676, 655]}
for fy in ("2014-15", "2015-16"):
    for i in range(4):
        p = f"{fy}-Q{i + 1}"
        o("MASH.CONTACTS", p, str(con_q[fy][i]))
        o("MASH.REFERRALS", p, str(ref_q[fy][i]))
        o("MASH.CONVERSION_RATE", p, num=str(ref_q[fy][i]), den=str(con_q[fy][i]))
        o("CSC.REREFERRAL_RATE", p, num=str(rr_q[fy][i]), den=str(ref_q[fy][i]))
        assert 18 <= 100 * rr_q[fy][i] / ref_q[fy][i] <= 25
for i, (a, s) in enumerate(zip(split(11470, [30, 25, 23, 22]), split(3781, [26, 25, 25, 24]))):
    o("CSC.ASSESSMENTS", f"2015-16-Q{i + 1}", str(a))
    o("CSC.S47_ENQUIRIES", f"2015-16-Q{i + 1}", str(s))

for i, v in enumerate([194, 120, 41, 0]):
    o("CSC.FA_UNALLOCATED", f"2015-16-Q{i + 1}", str(v))
for i, v in enumerate([137, 110, 85, 53]):
    o("CSC.FA_OUT_OF_TIME", f"2015-16-Q{i + 1}", str(v))

cp_q = {"2014-15-Q4": 1004, "2015-16-Q1": 960, "2015-16-Q2": 921, "2015-16-Q3": 884, "2015-16-Q4": 851}
for p, v in cp_q.items():
    o("CSC.CP_PLANS", p, str(v))
    for cat, part in zip(CP_CATS, split(v, [42, 47, 6.5, 3, 1.5])):
        o("CSC.CP_PLANS", p, str(part), breakdown=cat)
    pop = 272600 if p.startswith("2014") else CHILD_POP
    o("CSC.CP_RATE", p, num=str(v), den=str(pop))
lac_q = {"2014-15-Q4": 1896, "2015-16-Q1": 1890, "2015-16-Q2": 1878, "2015-16-Q3": 1863, "2015-16-Q4": 1807}
for p, v in lac_q.items():
    o("CSC.LAC", p, str(v))
    pop = 272600 if p.startswith("2014") else CHILD_POP
    o("CSC.LAC_RATE", p, num=str(v), den=str(pop))
assert round(10000 * 1863 / CHILD_POP) == 68 and round(10000 * 1807 / CHILD_POP) == 66
for i, v in enumerate([1950, 2040, 2120, 2088]):
    o("CSC.CIN", f"2015-16-Q{i + 1}", str(v))
ha = {"2014-15-Q4": (1131, 1300), "2015-16-Q1": (273, 1240), "2015-16-Q2": (558, 1240), "2015-16-Q3": (818, 1240), "2015-16-Q4": (1029, 1240)}
for p, (n, d) in ha.items():
    o("HEALTH.LAC_ASSESSMENTS", p, num=str(n), den=str(d))
assert round(100 * 1029 / 1240) == 83 and round(100 * 1131 / 1300) == 87
cl = {"2014-15-Q4": (790, 479, 840), "2015-16-Q1": (701, 389, 742), "2015-16-Q2": (765, 420, 801), "2015-16-Q3": (810, 452, 833), "2015-16-Q4": (833, 459, 850)}
for p, (acc, eet, d) in cl.items():
    o("CL.SUITABLE_ACCOMMODATION", p, num=str(acc), den=str(d))
    o("CL.EET", p, num=str(eet), den=str(d))
assert round(100 * 833 / 850) == 98 and round(100 * 459 / 850) == 54
assert round(100 * 790 / 840) == 94 and round(100 * 479 / 840) == 57
for i, (sw, hv) in enumerate(zip([19, 18, 16, 15], [380, 365, 352, 343])):
    o("WF.SW_CASELOAD", f"2015-16-Q{i + 1}", str(sw))
    o("WF.HV_CASELOAD", f"2015-16-Q{i + 1}", str(hv))

lado = {
    "2013-14": (864, None),
    "2014-15": (1076, [331, 150, 260, 110, 70, 55, 100]),
    "2015-16": (1100, [596, 110, 160, 75, 50, 35, 74]),
}
for fy, (total, parts) in lado.items():
    o("LADO.REFERRALS", fy, str(total))
    if parts:
        assert sum(parts) == total
        for src, v in zip(LADO_SRC, parts):
            o("LADO.REFERRALS", fy, str(v), breakdown=src)
o("LADO.FORMAL_MEETINGS", "2015-16", "270")

o("CSE.INCIDENTS", "2014-15", "712"); o("CSE.INCIDENTS", "2015-16", "787")
o("CSE.INCIDENTS_WEST_MIDLANDS", "2014-15", "1287"); o("CSE.INCIDENTS_WEST_MIDLANDS", "2015-16", "1635")
o("CSE.AT_RISK", "2015-16", "248", comment="March 2016")
o("MISSING.INCIDENTS", "2015-16", "1622")
o("MISSING.INCIDENTS", "2015-16", "68", breakdown="under_12")
o("MISSING.INCIDENTS", "2015-16", "1554", breakdown="12_to_17")
o("PF.NEW_ARRANGEMENTS", "2015-16", "34")
o("PF.ARRANGEMENTS_ENDED", "2015-16", "19")
o("PF.ARRANGEMENTS_REMAINING", "2015-16", "15")
o("PF.CHILDREN", "2015-16", "23")
o("DA.CIN_LIVING_WITH_DA", "2015-16", "77")
o("DA.JOINT_SCREENING_INCREASE", "2015-16", "29")
o("DA.HIGH_RISK_REFERRALS_INCREASE", "2015-16", "36")
o("DA.DHR_BEREAVED_CHILDREN", "2015-16", "2")
o("FGM.POLICE_REPORTS", "2015-16", "38")
o("FGM.PROTECTION_ORDERS", "2015-16", "3")
o("PREVENT.WRAP_TRAINED", "2015-16", "15000", comment="'over 15,000'")
o("FM.INCIDENTS", "2015-16", "12")
o("FM.PROTECTION_ORDERS", "2015-16", "6")
o("CDOP.CHILD_DEATHS", "2014-15", "165")
o("SCHOOLS.DSL_ATTENDANCE", "2014-15", "65"); o("SCHOOLS.DSL_ATTENDANCE", "2015-16", "85")
o("SCHOOLS.DSL_KNOWLEDGE_INCREASE", "2015-16", "29")
o("SCHOOLS.RRSA_REGISTERED", "2015-16", "130")
o("SCHOOLS.RSRT_TRAINED", "2015-16", "75")
o("SCHOOLS.IA_VISITED", "2015-16", "36")
o("SCHOOLS.IA_INTERNET_MONITORING", "2015-16", "60")
o("SCHOOLS.IA_LETTINGS", "2015-16", "72")
o("SCHOOLS.IA_S175_GOVERNORS", "2015-16", "74")
o("RSRT.CONFIDENCE", "2015-16", "80")
o("BOARD.MEMBERS", "2015-16", "53")
o("BOARD.FEMALE_SHARE", "2015-16", "55")
o("BOARD.MEETINGS", "2015-16", "5")
o("BOARD.PRACTITIONERS_FORUM", "2015-16", "149")
o("BOARD.MASH_REVIEW_RECOMMENDATIONS", "2015-16", "13")
write_csv("observations.csv", OBS_HEADER, obs)

bench = [
    ("CSC.CP_RATE", "2014-15", "england", "43", "England average at 31 March 2015"),
    ("CSC.CP_RATE", "2014-15", "statistical_neighbours", "50", "Statistical neighbour average at 31 March 2015"),
    ("CSC.LAC_RATE", "2015-16", "england", "60", "England average at 31 March 2016"),
    ("CSC.LAC_RATE", "2015-16", "statistical_neighbours", "78.9", "Statistical neighbour average at 31 March 2016"),
    ("HEALTH.LAC_ASSESSMENTS", "2014-15", "england", "90", "National average at 31 March 2015"),
    ("HEALTH.LAC_ASSESSMENTS", "2015-16", "england", "90", "Latest national average (31 March 2015) the report compares with"),
    ("CTX.CHILD_POVERTY", "2014-15", "england", "25", "UK average"),
    ("DA.CIN_LIVING_WITH_DA", "2015-16", "england", "48", "Children in need nationally"),
]
write_csv("benchmarks.csv", ["indicator", "period", "comparator", "value", "source"], bench)

# ----------------------------------------------------------------------------------------
# Audits and case reviews
# ----------------------------------------------------------------------------------------
audits = []   # code,type,topic,title,priority,period,status,programme,lead_agency,themes,questions,findings
cases = []    # audit,case_reference,agencies,overall,theme_grades,answers,good_practice

CP_THEMES = "visits=The child's voice and needs clearly articulated in visits;plan=Child protection plan has SMART actions with clear timescales and outcomes;supervision=Supervision decision making clearly articulated;partners=Partner reports and interventions timely and in line with the plan"
audits.append(["MACFA-CP-2015-16", "multi_agency_case_file", "", "Multi-agency audit of child protection case files",
               "Voice of the Child", "2015-16", "complete", "", "", CP_THEMES,
               "voice_in_minutes=Are the child's views clear in conference and core group minutes and partner reports?",
               "The views of children were not always clear in the conference and core group minutes or partner reports."])
cp_overall = ["requires_improvement"] * 7 + ["good"] * 3
cp_agencies = ["BCC-PEOPLE;WMP;BCHC", "BCC-PEOPLE;BCHC;SCH-PRIMARY", "BCC-PEOPLE;WMP;HEFT", "BCC-PEOPLE;BSMHFT",
               "BCC-PEOPLE;BCHC;SCH-SECONDARY", "BCC-PEOPLE;WMP;BCH", "BCC-PEOPLE;BCHC", "BCC-PEOPLE;SCH-PRIMARY;BCHC",
               "BCC-PEOPLE;WMP;BWH", "BCC-PEOPLE;YOS;SCH-SECONDARY"]
cp_good = {
    8: "Child was supported by the social worker to write to the chair to express her wishes and feelings. Her views from the letter were detailed in the documentation.",
    9: "There is clear evidence of supportive working with parents and older child to look at acceptable behaviours, practical support and strategies. Evidence that this improved her outcomes in respect of developing friendship groups.",
}
for i, g in enumerate(cp_overall):
    th = {"visits": g, "plan": g, "supervision": "good" if i % 3 == 0 else g, "partners": "requires_improvement" if g == "good" and i == 7 else g}
    voice = "yes" if g == "good" else "no"
    cases.append(["MACFA-CP-2015-16", f"CP-AUD-15-{i + 1:02d}", cp_agencies[i], g,
                  ";".join(f"{k}={v}" for k, v in th.items()), f"voice_in_minutes={voice}", cp_good.get(i, "")])

audits.append(["THEMATIC-FGM-2016", "thematic", "FGM", "Audit of FGM practice", "Voice of the Child", "2015-16-Q4",
               "complete", "", "", "voice=The voice of the child is evident;culture=Cultural background and ethnicity identified",
               "voice_evident=Is the voice of the child evident?",
               "In four out of five cases the voice of the child was not evident and opportunities to talk to young people were not always taken.;The identification of the cultural background and ethnicity of the child and family was a concern."])
for i, g in enumerate(["requires_improvement", "requires_improvement", "inadequate", "requires_improvement", "good"]):
    cases.append(["THEMATIC-FGM-2016", f"FGM-AUD-16-{i + 1:02d}", "BCC-PEOPLE;BWH" if i % 2 else "BCC-PEOPLE;SCH-PRIMARY", g,
                  f"voice={'good' if i == 4 else 'requires_improvement'};culture={'good' if i in (1, 4) else 'requires_improvement'}",
                  f"voice_evident={'yes' if i == 4 else 'no'}", ""])

audits.append(["RE-REFERRAL-2015", "re_referral", "", "Audit of re-referrals", "Voice of the Child", "2015-16-Q2", "complete", "", "",
               "", "voice=Does the referral clearly articulate the voice of the child?;avoidable=Could the re-referral have been avoided?",
               "Only 27% of referrals clearly articulate the voice of the child."])
for i in range(30):
    g = ["good", "requires_improvement", "requires_improvement", "inadequate", "good", "requires_improvement"][i % 6]
    cases.append(["RE-REFERRAL-2015", f"RR-AUD-15-{i + 1:02d}", "BCC-PEOPLE;" + ["WMP", "BCHC", "SCH-PRIMARY", "HEFT", "VCS"][i % 5], g, "",
                  f"voice={'yes' if i in (0, 4, 9, 13, 17, 21, 25, 28) else 'no'};avoidable={'yes' if i % 3 == 0 else 'no'}", ""])
assert round(100 * 8 / 30) == 27

FD_THEMES = "referral_quality=Quality of the referral;decision=Quality of the referral judgement (MASH decision)"
FD_QUESTIONS = "agree=Do we agree with the front door decision?;voice=Is the lived experience of the child clear?;consent=Was consent recorded?"
months = ["2015-04", "2015-05", "2015-06", "2015-07", "2015-08", "2015-09", "2015-10", "2015-11", "2015-12", "2016-01", "2016-02", "2016-03"]
sizes = [7, 8, 7, 8, 6, 8, 7, 8, 6, 8, 7, 8]
assert sum(sizes) == 88
# 88 cases: 3 outstanding, 40 good, 35 requires improvement (40%), 10 inadequate; inadequate
# falls and good rises over the year (figure 17).
fd_grades = {
    "2015-04": "GRRRIII", "2015-05": "GGRRRIII", "2015-06": "GGRRRRI", "2015-07": "GGGRRRRI",
    "2015-08": "GGRRRI", "2015-09": "OGGGRRRI", "2015-10": "GGGGRRR", "2015-11": "GGGGGRRR",
    "2015-12": "GGGRRR", "2016-01": "OGGGGGRR", "2016-02": "GGGGGRR", "2016-03": "OGGGGGRR",
}
letters = "".join(fd_grades[m] for m in months)
assert [len(fd_grades[m]) for m in months] == sizes
assert letters.count("O") == 3 and letters.count("G") == 40 and letters.count("R") == 35 and letters.count("I") == 10
assert round(100 * 35 / 88) == 40
gmap = {"O": "outstanding", "G": "good", "R": "requires_improvement", "I": "inadequate"}
referrers = ["WMP", "BCHC", "SCH-PRIMARY", "SCH-SECONDARY", "HEFT", "VCS", "BWH", "SCH-EARLY-YEARS"]
n = 0
for mi, m in enumerate(months):
    code = f"FDRG-{m}"
    audits.append([code, "front_door_referral", "", f"Front Door Reference Group referral audit {m}", "Safe Systems", m,
                   "complete", "front-door-monthly", "", FD_THEMES, FD_QUESTIONS, ""])
    for j, L in enumerate(fd_grades[m]):
        n += 1
        g = gmap[L]
        dec = "good" if (L in "OG" or (mi >= 6 and j % 2 == 0)) else ("inadequate" if L == "I" else "requires_improvement")
        agree = "yes" if (L in "OG" or (L == "R" and j % 2 == 0 and mi >= 3)) else "no"
        cases.append([code, f"FD-M{mi + 1:02d}-{j + 1:02d}", "BCC-PEOPLE;" + referrers[n % len(referrers)], g,
                      f"referral_quality={g};decision={dec}",
                      f"agree={agree};voice={'yes' if L in 'OG' else 'no'};consent={'yes' if (n % 4) else 'no'}", ""])

audits.append(["CSE-CASE-FILE-2016", "thematic", "CSE", "CSE case file audit", "Safe Systems", "2015-16-Q4", "in_progress", "", "",
               "", "", "Commenced February 2016; learning informs the CSE pathways and MASE case management."])
write_csv("audits.csv", ["code", "type", "topic", "title", "strategic_priority", "period", "status", "programme", "lead_agency",
                         "themes", "questions", "findings"], audits)
write_csv("case_reviews.csv", ["audit", "case_reference", "agencies", "overall_grade", "theme_grades", "answers", "good_practice"], cases)

# ----------------------------------------------------------------------------------------
# Inspections, learning reviews, recommendations and actions
# ----------------------------------------------------------------------------------------
inspections = [
    ["OFSTED-2014-CS", "ofsted", "", "BCC-PEOPLE", "Ofsted inspection of children's services", "2014-05-12",
     "Services for children in need of help and protection, children looked after and care leavers", "Inadequate",
     "Children's services judged inadequate; the DfE appointed a Children's Commissioner.", "", ""],
    ["HMIC-2015-WMP", "hmic", "", "WMP", "HMIC National Child Protection re-inspection of West Midlands Police", "2015-07-13",
     "Re-inspection of the June 2014 National Child Protection Inspection", "",
     "Inconsistencies remain in the management and supervision of investigations and in the assessment of risk.;"
     "Poor supervision and record-keeping persist, undermining decision-making and safeguarding measures.;"
     "Some progress on CSE but more to do to recognise and respond to all children at risk of sexual exploitation.;"
     "The response to children who regularly go missing requires further improvement.;"
     "Commended for partnership work on street triage and alternative places of safety.",
     "2016-03-01", "WMP provided an update on progress against the inspection recommendations."],
    ["CQC-2015-UHB", "cqc", "", "UHB", "CQC inspection of University Hospital Birmingham", "2015-05-15",
     "Urgent and emergency services, medical care, surgery, critical care, outpatients and diagnostic imaging, sexual health",
     "", "Staff demonstrated knowledge and understanding of safeguarding and of the trust's process for reporting concerns.", "2015-09-01", ""],
    ["CQC-2015-ROH", "cqc", "", "ROH", "CQC inspection of the Royal Orthopaedic Hospital", "2015-09-29",
     "Adults' and children's critical care, outpatients, diagnostics and imaging", "",
     "Safeguarding training of staff was below the trust target.;Concerns about the care of children in the High Dependency Unit.",
     "2016-01-15", "The trust provided evidence and assurance that all safeguarding concerns are being addressed."],
    ["CQC-2016-QEH", "cqc", "", "UHB", "CQC inspection of the Queen Elizabeth Hospital", "2016-03-08",
     "Adult cardiac surgery", "", "No children's safeguarding concerns.", "", ""],
    ["MASH-REVIEW-2015", "other", "Independent review commissioned by the Board", "BCC-PEOPLE",
     "Independent review of the Multi-Agency Safeguarding Hub", "2016-03-01",
     "Thresholds and the reported dip in contacts and referrals (commissioned October 2015)", "",
     "Some variability in threshold judgements, but thresholds within MASH were broadly consistent with Right Service, Right Time.;"
     "Thresholds were a greater concern in ASTI assessments than in the MASH.;"
     "Contacts declined steadily from October 2014 to November 2015 (referrals down 37% October 2014 to March 2015, 16% September to November 2015).",
     "2016-03-31", "The Local Authority provided reassurance on how the 13 recommendations are being taken forward."],
]
write_csv("inspections.csv", ["code", "inspectorate", "inspectorate_name", "agency", "title", "inspection_date", "scope", "judgement",
                              "key_findings", "assurance_date", "assurance_note"], inspections)

LEARNING = [
    "Ensure pregnant vulnerable women are identified and assessed for risks to their unborn children, with safeguarding referrals made when necessary.",
    "Recognise, listen to and talk to children living in families where substance misuse is part of daily life.",
    "Recognise when intervention requires escalation into formal safeguarding processes and ensure that action occurs.",
    "Inform parents of the dangers of children ingesting methadone or being given it to pacify them.",
    "Consider parenting capacity when parents have enduring mental health problems, especially where practitioners only see the adult.",
    "Consider both parents' ability to parent, particularly with a new born baby.",
    "Ensure better communication between acute and community staff when parents are readmitted to hospital and a child's care must be considered.",
    "Engage with young people, especially when there are concerns for their welfare.",
    "Plan the transition to adult services for young people at risk of CSE approaching 18.",
    "Recognise that self-harm can be a marker of suicide and of other risks to the child.",
    "Treat multiple A&E attendances at any age, including adolescence, as possible safeguarding concerns.",
    "Check that every risk has been addressed before finalising an assessment.",
    "Agree which agency takes the lead when several support a young person, including the young person's wishes.",
    "Keep interagency conversations and professionals' meetings for difficult cases below the safeguarding threshold, even with the MASH.",
    "Understand and use Think Family guidance (SCIE 30, 2011) in daily practice.",
    "Consider historical information and the need for specialist assessments when developing a child protection plan.",
    "Evidence the voice and lived experience of children in assessments of both the child and the adult.",
    "Consider all information, from agencies or the community, when assessing risk to women and children where there is domestic abuse.",
]
reviews = [
    ["SCR-BSCB-2013-01", "serious_case_review", "Serious Case Review: Child K", "2013-06-01", "published", "2015-09-24",
     ";".join(LEARNING[i] for i in (1, 2, 11, 15, 16, 17)), "BCC-PEOPLE;WMP;BCHC;HEFT;SCH-PRIMARY"],
    ["SCR-BSCB-2013-02", "serious_case_review", "Serious Case Review: Child F", "2013-09-01", "published", "2015-11-12",
     ";".join(LEARNING[i] for i in (0, 3, 4, 5, 6, 14)), "BCC-PEOPLE;BSMHFT;BWH;CC-CCG"],
]
for k in range(6):
    reviews.append([f"SCR-BSCB-2015-{k + 1:02d}", "serious_case_review", f"Serious Case Review {k + 1} of 2015-16 (ongoing)",
                    f"2015-{4 + k:02d}-01", "in_progress", "",
                    ";".join(LEARNING[i] for i in ((7, 8, 9, 10, 12, 13)[k],)), "BCC-PEOPLE;WMP"])
for k in range(3):
    reviews.append([f"LLR-BSCB-2015-{k + 1:02d}", "learning_lessons_review", f"Learning Lessons Review {k + 1} of 2015-16 (ongoing)",
                    f"2015-{6 + k * 3:02d}-01", "in_progress", "", "", "BCC-PEOPLE;BCHC"])
write_csv("learning_reviews.csv", ["reference", "type", "title", "commissioned_date", "status", "publication_date", "key_learning", "agencies"], reviews)

recs = [
    # source_kind, source, recommendation, action, owner_agency, due_date, status, evidence
    ("audit", "MACFA-CP-2015-16", "Record the voice of the child in the case history and plans", "Strengthen training on recording the voice of the child in conference and core group minutes", "BSCB", "2016-03-31", "completed", "All Board courses revised to strengthen the voice of the child"),
    ("audit", "MACFA-CP-2015-16", "Record the voice of the child in the case history and plans", "Conference chairs and social workers meet children before conference", "BCC-PEOPLE", "2016-06-30", "in_progress", ""),
    ("audit", "THEMATIC-FGM-2016", "Follow up the FGM audit recommendations later in 2016", "Re-audit FGM cases to assess progress", "BSCB", "2016-12-31", "open", ""),
    ("audit", "THEMATIC-FGM-2016", "Identify cultural background and ethnicity of the child and family", "Add ethnicity and cultural background to the referral form", "BCC-PEOPLE", "2016-09-30", "open", ""),
    ("inspection", "HMIC-2015-WMP", "Improve supervision and record-keeping of child protection investigations", "Supervision audit across public protection units", "WMP", "2016-03-31", "completed", "Update on progress received by the Board"),
    ("inspection", "HMIC-2015-WMP", "Improve the response to children who regularly go missing", "Embed the Missing Operational Group arrangements", "WMP", "2016-09-30", "in_progress", ""),
    ("inspection", "CQC-2015-ROH", "Bring safeguarding training up to the trust target", "Safeguarding training compliance plan", "ROH", "2016-03-31", "completed", "Compliance above target at March 2016"),
    ("inspection", "CQC-2015-ROH", "Improve the care of children in the High Dependency Unit", "Paediatric HDU staffing and competency review", "ROH", "2016-06-30", "in_progress", ""),
]
for k in range(13):
    recs.append(("inspection", "MASH-REVIEW-2015", f"MASH review recommendation {k + 1}", f"Implement MASH review recommendation {k + 1}",
                 "BCC-PEOPLE" if k % 3 else "WMP", "2016-09-30", "in_progress" if k % 2 else "open", ""))
scr_owner = ["BCC-PEOPLE", "WMP", "BCHC", "HEFT", "SCH-PRIMARY", "BSMHFT", "BWH", "CC-CCG"]
for i, li in enumerate((1, 2, 11, 15, 16, 17)):
    recs.append(("learning_review", "SCR-BSCB-2013-01", LEARNING[li], "Single-agency action plan: " + LEARNING[li][:60], scr_owner[i % 5],
                 "2016-03-31", "completed" if i % 3 else "in_progress", "Reported to the SCR sub-group" if i % 3 else ""))
for i, li in enumerate((0, 3, 4, 5, 6, 14)):
    recs.append(("learning_review", "SCR-BSCB-2013-02", LEARNING[li], "Single-agency action plan: " + LEARNING[li][:60], ["BCC-PEOPLE", "BSMHFT", "BWH", "CC-CCG"][i % 4],
                 "2016-06-30", "completed" if i % 2 else "open", "Reported to the SCR sub-group" if i % 2 else ""))
write_csv("recommendations.csv", ["source_kind", "source", "recommendation", "action", "owner_agency", "due_date", "status", "completion_evidence"], recs)

# ----------------------------------------------------------------------------------------
# Assurance: Section 11, Section 175, letters, governance, survey
# ----------------------------------------------------------------------------------------
STATUTORY = ["BCC-PEOPLE", "BCC-PLACE", "BCC-ECONOMY", "WMP", "NPS", "CRC", "YOS", "PH", "BSC-CCG", "CC-CCG", "SWB-CCG", "NHSE",
             "BCH", "BCHC", "BSMHFT", "BWH", "HEFT", "ROH", "SWBH", "UHB", "WMAS"]
STANDARDS = [
    ("S1", "Senior management commitment to safeguarding", True),
    ("S2", "Accountability framework", True),
    ("S3", "Safer recruitment and allegations management", True),
    ("S4", "Safeguarding training", True),
    ("S5", "Inter-agency working", True),
    ("S6", "Information sharing", True),
    ("S7", "Listening to children, young people and families", True),
    ("S8", "Supervision", True),
    ("EH", "Early help within Right Service, Right Time", False),
    ("CSE", "Child sexual exploitation", False),
    ("DV", "Domestic violence", False),
]
write_csv("section11_standards.csv", ["code", "title", "statutory"], [(c, t, "true" if s else "false") for c, t, s in STANDARDS])
s11 = []
for cycle in ("2014-15", "2015-16"):
    for ai, ag in enumerate(STATUTORY):
        if ag in ("NHSE", "WMAS"):
            continue
        for sc, _, _ in STANDARDS:
            r = rng.random()
            if sc == "S1":
                rating = "green" if (cycle == "2015-16" or ai % 4) else "amber"
            elif sc == "S2":
                rating = "amber" if (ag == "CRC") else "green"
            elif sc in ("S6", "S7", "S8", "DV"):
                rating = ("green" if r < 0.75 else "amber") if cycle == "2015-16" else ("green" if r < 0.45 else "amber")
            elif sc in ("EH", "CSE"):
                rating = ("green" if r < 0.4 else ("amber" if r < 0.9 else "red")) if cycle == "2015-16" else ("green" if r < 0.25 else ("amber" if r < 0.8 else "red"))
            else:
                rating = "green" if r < 0.8 else "amber"
            moderated = ""
            if cycle == "2015-16" and sc in ("EH", "CSE") and rating == "green" and ai % 5 == 0:
                moderated = "amber"
            s11.append([cycle, ag, sc, rating, moderated])
write_csv("section11_ratings.csv", ["cycle", "agency", "standard", "self_rating", "moderated_rating"], s11)
# Every standard rated below green (self-rated or after moderation) has a gap action (made up).
TITLES = {c: t for c, t, _ in STANDARDS}
write_csv("section11_gap_actions.csv", ["cycle", "agency", "standard", "description", "due_date"],
          [[cy, ag, sc, f"Action plan: {TITLES[sc].lower()}", "2016-03-31" if cy == "2014-15" else "2016-12-31"]
           for cy, ag, sc, self_r, mod in s11 if self_r != "green" or mod not in ("", "green")])
write_csv("section11_status.csv", ["cycle", "agency", "status", "regional_body"],
          [[cy, ag, "regional" if ag in ("NHSE", "WMAS") else "submitted", "West Midlands generic Section 11" if ag in ("NHSE", "WMAS") else ""]
           for cy in ("2014-15", "2015-16") for ag in STATUTORY])
write_csv("assurance_documents.csv", ["year", "agency", "annual_report_received_on", "assurance_letter_received_on"],
          [["2015-16", ag, f"2016-0{5 + i % 2}-{10 + i:02d}", f"2016-0{5 + i % 2}-{10 + i:02d}"] for i, ag in enumerate(STATUTORY)])

# Section 175: 526 establishments (447 schools, 73 children's centres, 6 FE colleges)
types = [("early_years", 40), ("primary", 230), ("secondary", 48), ("special", 27), ("independent", 22), ("academy", 80),
         ("childrens_centre", 73), ("further_education", 6)]
assert sum(n for t, n in types if t not in ("childrens_centre", "further_education")) == 447
assert sum(n for _, n in types) == 526
est = []
for t, nn in types:
    for k in range(nn):
        est.append([f"EST-{t[:3].upper()}-{k + 1:03d}", f"{t.replace('_', ' ').title()} establishment {k + 1}", t])
write_csv("section175_establishments.csv", ["code", "name", "type"], est)
# 512 of 526 returned (97.3%); 443 of 447 schools (99%); 69 of 79 children's centres and colleges.
missing_schools = {"EST-PRI-017", "EST-IND-005", "EST-IND-013", "EST-ACA-044"}
missing_other = {f"EST-CHI-{k:03d}" for k in (3, 9, 14, 22, 31, 40, 47, 58)} | {"EST-FUR-002", "EST-FUR-005"}
ret = []
for i, (code, _, t) in enumerate(est):
    submitted = code not in missing_schools and code not in missing_other
    gov = submitted and (i % 9 != 0)
    comp = (18 + (i % 3)) if submitted else 0
    ret.append(["2015-16", code, "true" if submitted else "false", "true" if gov else "false", comp if submitted else 0, 20 if submitted else 0,
                f"2015-{10 + i % 3}-{1 + i % 28:02d}" if submitted else ""])
done = sum(1 for r in ret if r[2] == "true")
assert done == 512 and round(1000 * 512 / 526) == 973
assert round(100 * (447 - len(missing_schools)) / 447) == 99
write_csv("section175_returns.csv", ["year", "establishment", "submitted", "reported_to_governors", "items_compliant", "items_total", "submitted_on"], ret)
write_csv("section175_year_totals.csv", ["year", "type", "expected", "completed"],
          [["2012-13", "primary", 447, 282], ["2013-14", "primary", 447, 358], ["2014-15", "primary", 447, 411]])
assert round(100 * 282 / 447) == 63

# Governance and attendance (figure 29). Meetings in 2015-16 per body:
bodies = [("BOARD", "Board", "board", 5), ("EXEC", "Executive Group", "executive", 6), ("CDOP", "Child Death Overview Panel", "sub_group", 10),
          ("COMMS", "Communications and Public Engagement", "sub_group", 4), ("CSE", "Strategic CSE", "sub_group", 6),
          ("EDUCATION", "Safeguarding in Education", "sub_group", 4), ("LD", "Learning and Development", "sub_group", 5),
          ("QIO", "Performance and Quality Assurance", "sub_group", 6), ("SCR", "Serious Case Review", "sub_group", 6)]
matrix = {  # membership per figure 29 (agency -> bodies)
    "BCC-PEOPLE": "BOARD EXEC CDOP COMMS CSE EDUCATION LD QIO SCR", "BCC-PLACE": "BOARD EXEC CSE LD QIO",
    "BCC-ECONOMY": "CSE QIO SCR", "BSCB": "BOARD EXEC CDOP COMMS CSE EDUCATION LD QIO SCR", "SCH-PRIMARY": "BOARD EDUCATION",
    "SCH-SECONDARY": "BOARD EDUCATION", "SCH-SPECIAL": "BOARD EXEC EDUCATION", "SCH-EARLY-YEARS": "BOARD EDUCATION",
    "WMP": "BOARD EXEC CDOP COMMS LD QIO SCR", "NPS": "BOARD EXEC LD SCR", "CRC": "BOARD QIO SCR",
    "VCS": "BOARD EXEC COMMS CSE LD SCR", "YOS": "BOARD COMMS CSE LD QIO SCR", "PH": "BOARD CDOP",
    "BSC-CCG": "BOARD EXEC QIO SCR", "CC-CCG": "BOARD EXEC", "SWB-CCG": "BOARD EXEC CDOP", "DES-DOCTOR": "BOARD CDOP SCR",
    "DES-NURSE": "BOARD CDOP CSE SCR", "NHSE": "BOARD", "BCH": "BOARD EXEC CSE LD SCR", "BCHC": "BOARD EXEC COMMS CSE LD QIO SCR",
    "BSMHFT": "BOARD EXEC LD QIO SCR", "BWH": "BOARD LD", "HEFT": "BOARD LD QIO", "ROH": "BOARD", "SWBH": "BOARD", "UHB": "BOARD",
    "WMAS": "BOARD", "WMFS": "BOARD COMMS LD", "LAY": "BOARD COMMS",
}
# Ratings are not legible in the text of figure 29 (its colours are lost): made up so that most
# cells are green, some blue and a few red at sub-group level ("organisational restructuring has
# adversely impacted on the attendance ... of some agencies at the Sub-Group level").
red_cells = {("CRC", "QIO"), ("NPS", "LD"), ("BCC-ECONOMY", "SCR"), ("YOS", "COMMS"), ("HEFT", "QIO"), ("SWBH", "BOARD"), ("ROH", "BOARD"), ("WMFS", "LD")}
blue_cells = {("WMP", "CDOP"), ("BCC-PLACE", "LD"), ("VCS", "CSE"), ("BCH", "LD"), ("BSMHFT", "SCR"), ("NHSE", "BOARD"), ("WMAS", "BOARD"),
              ("SCH-SECONDARY", "EDUCATION"), ("DES-NURSE", "CSE"), ("CRC", "SCR"), ("UHB", "BOARD"), ("SWB-CCG", "CDOP")}
write_csv("governance_bodies.csv", ["code", "name", "kind", "position", "members"],
          [[c, n, k, i + 1, ";".join(a for a, bs in matrix.items() if c in bs.split())] for i, (c, n, k, _) in enumerate(bodies)])
meet_rows = []
month_days = {
    "BOARD": ["2015-05-14", "2015-07-16", "2015-10-15", "2016-01-21", "2016-03-17"],
    "EXEC": ["2015-04-23", "2015-06-25", "2015-08-27", "2015-10-22", "2015-12-17", "2016-02-25"],
    "CDOP": ["2015-04-09", "2015-05-07", "2015-06-11", "2015-07-09", "2015-09-10", "2015-10-08", "2015-11-12", "2016-01-14", "2016-02-11", "2016-03-10"],
    "COMMS": ["2015-04-28", "2015-07-28", "2015-10-27", "2016-01-26"],
    "CSE": ["2015-04-15", "2015-06-17", "2015-08-19", "2015-10-21", "2015-12-16", "2016-02-17"],
    "EDUCATION": ["2015-05-05", "2015-09-15", "2015-12-08", "2016-03-08"],
    "LD": ["2015-04-30", "2015-07-02", "2015-09-24", "2015-12-03", "2016-02-18"],
    "QIO": ["2015-05-19", "2015-07-21", "2015-09-22", "2015-11-17", "2016-01-19", "2016-03-15"],
    "SCR": ["2015-04-21", "2015-06-23", "2015-08-25", "2015-10-20", "2015-12-15", "2016-02-23"],
}
for c, _, _, nmeet in bodies:
    assert len(month_days[c]) == nmeet
    members = [a for a, bs in matrix.items() if c in bs.split()]
    for ag in members:
        if (ag, c) in red_cells:
            pattern = ["named"] * (nmeet // 2) + ["absent"] * (nmeet - nmeet // 2)
        elif (ag, c) in blue_cells:
            total = -(-nmeet * 8 // 10)  # ceil(0.8 n): named or nominated at 80% or more
            pattern = ["named"] * (total - 1) + ["nominated"] + ["absent"] * (nmeet - total)
        else:
            miss = 1 if nmeet >= 5 and (sum(map(ord, ag + c)) % 3 == 0) else 0
            pattern = ["named"] * (nmeet - miss) + ["absent"] * miss
        rng.shuffle(pattern)
        for d, p in zip(month_days[c], pattern):
            meet_rows.append([c, d, ag, p])
write_csv("governance_attendance.csv", ["body", "held_on", "agency", "attendance"], meet_rows)

with open(os.path.join(OUT, "survey.toml"), "w") as f:
    f.write('''# Practitioner (employee) surveys on Right Service, Right Time ("Right Service, Right Time" section).
# 2015: 1,175 respondents from seventeen organisations; 83% knew how to access guidance on a good
# fCAF and referral. 2013: "only half of respondents" — its respondent and organisation counts are
# not published (made up here: 640 from 12).

[[survey]]
code = "employee-2013"
series = "employee"
title = "Employee survey on thresholds (2013)"
year = "2013-14"
conducted_on = "2013-09-30"
respondents = 640
organisations = 12

[[survey.question]]
code = "ACCESS_GUIDANCE"
text = "I know how to access guidance on how to make a good fCAF and referral"
yes_share = "50"

[[survey]]
code = "employee-2015"
series = "employee"
title = "Employee survey on Right Service, Right Time (September 2015)"
year = "2015-16"
conducted_on = "2015-09-30"
respondents = 1175
organisations = 17

[[survey.question]]
code = "ACCESS_GUIDANCE"
text = "I know how to access guidance on how to make a good fCAF and referral"
yes_share = "83"
''')

# ----------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------
courses = [
    # code, title, level, topics, multi_agency, days, programme, sessions
    ("RSRT-MA", "Right Service, Right Time: applying the threshold guidance", "level_2", "right_service_right_time", "true", "0.5", "RSRT", 55),
    ("CP-L1", "Child protection level 1: recognising and responding", "level_1", "child_protection", "true", "0.5", "", 24),
    ("CP-L2", "Child protection level 2: working together", "level_2", "child_protection", "true", "1", "", 26),
    ("CP-L3", "Child protection level 3: core groups and conferences", "level_3", "child_protection;strengthening_families", "true", "1", "", 12),
    ("CSE-AW", "Child sexual exploitation: awareness", "level_1", "cse", "true", "0.5", "", 14),
    ("CSE-PR", "Child sexual exploitation: practice and the MASE", "specialist", "cse", "true", "1", "", 8),
    ("FGM", "Female genital mutilation", "specialist", "fgm", "true", "0.5", "", 9),
    ("SCR-LEARN", "Learning from serious case reviews", "level_2", "learning_from_reviews", "true", "0.5", "", 10),
    ("DA", "Domestic abuse and its impact on children", "level_2", "domestic_abuse", "true", "1", "", 11),
    ("NEGLECT", "Neglect: recognising cumulative harm", "level_2", "neglect", "true", "1", "", 9),
    ("VOICE", "The voice of the child in practice", "level_2", "voice_of_the_child", "true", "0.5", "", 8),
    ("SUPERVISION", "Safeguarding supervision", "specialist", "supervision", "true", "1", "", 5),
    ("PREVENT", "Prevent: Workshop to Raise Awareness of Prevent", "briefing", "prevent", "true", "0.5", "", 6),
    ("SAFER-REC", "Safer recruitment", "specialist", "safer_recruitment", "true", "1", "", 6),
]
assert sum(c[7] for c in courses) == 203
write_csv("training/courses.csv", ["code", "title", "level", "topics", "multi_agency", "length_days", "programme"], [c[:7] for c in courses])

venues = ["Council House Extension", "Lancaster Circus", "Birmingham Children's Hospital", "Woodland Centre", "Moseley Road Centre"]
# 203 delivered sessions with 4,489 places; 4,040 attended (90.0%).
capacities = split(4489, [1] * 203)
attended_total = 4040
walk_in_total = 50
dna_total = 250
cancel_total = 150  # of which 40 late
sessions = []
dates = []
start = 0
day_of_year = []
import datetime
RSRT_FROM, RSRT_TO = datetime.date(2015, 4, 7), datetime.date(2015, 9, 25)
YEAR_FROM, YEAR_TO = datetime.date(2015, 4, 8), datetime.date(2016, 3, 24)
k = 0
for c in courses:
    code, n = c[0], c[7]
    lo, hi = (RSRT_FROM, RSRT_TO) if code == "RSRT-MA" else (YEAR_FROM, YEAR_TO)
    span = (hi - lo).days
    for j in range(n):
        d = lo + datetime.timedelta(days=int(span * (j + 0.5) / n))
        while d.weekday() >= 5:
            d += datetime.timedelta(days=1)
        sessions.append([f"S{k + 1:03d}", code, d.isoformat(), venues[k % len(venues)], "false", capacities[k], "delivered"])
        k += 1
# delegates per session: attended (incl walk-ins) ~ 90% of capacity
att = split(attended_total, capacities)
walk = split(walk_in_total, [1 if i % 4 == 0 else 0 for i in range(203)])
dna = split(dna_total, [1] * 203)
holds = [att[i] - walk[i] + dna[i] for i in range(203)]
canc = split(cancel_total, [1 if (i % 3 and holds[i] < capacities[i]) else 0 for i in range(203)])
AGENCY_W = [("BCC-PEOPLE", 30), ("WMP", 8), ("SCH-PRIMARY", 12), ("SCH-SECONDARY", 7), ("SCH-EARLY-YEARS", 5), ("SCH-SPECIAL", 2),
            ("BCHC", 9), ("HEFT", 4), ("BCH", 3), ("BWH", 2), ("BSMHFT", 3), ("VCS", 8), ("YOS", 2), ("NPS", 1), ("CRC", 1),
            ("CC-CCG", 1), ("PH", 1), ("WMFS", 1)]
ROLES = {"BCC-PEOPLE": "social worker", "WMP": "police officer", "SCH-PRIMARY": "teacher", "SCH-SECONDARY": "teacher",
         "SCH-EARLY-YEARS": "early years practitioner", "SCH-SPECIAL": "teacher", "BCHC": "health visitor", "HEFT": "nurse",
         "BCH": "nurse", "BWH": "midwife", "BSMHFT": "mental health practitioner", "VCS": "family support worker",
         "YOS": "youth justice worker", "NPS": "probation officer", "CRC": "probation officer", "CC-CCG": "GP",
         "PH": "public health practitioner", "WMFS": "fire officer"}
ag_pool = [a for a, w in AGENCY_W for _ in range(w)]
delegates = []
totals = {"attended": 0, "walk_in": 0, "did_not_attend": 0, "cancelled": 0, "cancelled_late": 0}
late_left = 40
for i, s in enumerate(sessions):
    cap = s[5]
    booked_attend = att[i] - walk[i]
    registered_hold = booked_attend + dna[i]
    if registered_hold > cap:  # keep within capacity
        over = registered_hold - cap
        dna[i] -= over
        registered_hold = cap
    assert registered_hold + (1 if canc[i] else 0) <= cap, (s, registered_hold, canc[i])
    seq = 0
    entries = []
    for kind, nn in (("attended", booked_attend), ("did_not_attend", dna[i]), ("cancelled", canc[i]), ("walk_in", walk[i])):
        for _ in range(nn):
            seq += 1
            ag = ag_pool[(i * 7 + seq * 13) % len(ag_pool)]
            st = kind
            if kind == "cancelled" and late_left > 0 and seq % 2 == 0:
                st = "cancelled_late"
                late_left -= 1
            entries.append([s[0], f"D-{s[0]}-{seq:02d}", ag, ROLES[ag], st])
            totals[st] += 1
    delegates.extend(entries)
dna_total = totals["did_not_attend"]
assert totals["attended"] + totals["walk_in"] == attended_total
assert round(100 * attended_total / 4489) == 90 and sum(capacities) == 4489
write_csv("training/sessions.csv", ["session", "course", "date", "venue", "online", "capacity", "status"], sessions)
write_csv("training/attendance.csv", ["session", "delegate_ref", "agency", "role", "status"], delegates)

# Evaluations from about two in three attending delegates
evals = []
for dl in delegates:
    if dl[4] in ("attended", "walk_in") and rng.random() < 0.66:
        # Spread so that the mean uplift (after - before) / before is the report's 29%.
        before = rng.choice([2, 2, 3, 3, 4, 4])
        after = min(5, before + rng.choice([0, 0, 0, 1, 1, 1, 2, 2]))
        evals.append([dl[0], dl[1], before, after, rng.choice([3, 4, 4, 5, 5, 5])])
write_csv("training/evaluations.csv", ["session", "delegate_ref", "confidence_before", "confidence_after", "satisfaction"], evals)

# Right Service, Right Time: target 15,017, 5,580 trained (37%). Board RSRT sessions count towards it;
# the rest is single-agency delivery by accredited trainers, recorded per agency by 30 September 2015.
rsrt_session_trained = sum(1 for dl in delegates if dl[0] in {s[0] for s in sessions if s[1] == "RSRT-MA"} and dl[4] in ("attended", "walk_in"))
single = 5580 - rsrt_session_trained
WF = [("BCC-PEOPLE", 3400), ("WMP", 2100), ("SCH-PRIMARY", 3300), ("SCH-SECONDARY", 1700), ("SCH-EARLY-YEARS", 600), ("SCH-SPECIAL", 300),
      ("BCHC", 1200), ("HEFT", 700), ("BCH", 450), ("BWH", 250), ("BSMHFT", 300), ("VCS", 400), ("YOS", 150), ("NPS", 67), ("CRC", 50),
      ("CC-CCG", 30), ("SWB-CCG", 10), ("BSC-CCG", 10)]
assert sum(w for _, w in WF) == 15017
parts = split(single, [w for _, w in WF])
write_csv("training/programmes.csv", ["code", "name", "target", "start_date", "end_date"], [["RSRT", "Right Service, Right Time", 15017, "2015-03-01", "2016-03-31"]])
write_csv("training/programme_workforce.csv", ["programme", "agency", "workforce"], [["RSRT", a, w] for a, w in WF])
write_csv("training/programme_trained.csv", ["programme", "agency", "date", "trained"], [["RSRT", a, "2015-09-30", p] for (a, _), p in zip(WF, parts)])
assert rsrt_session_trained + sum(parts) == 5580 and round(100 * 5580 / 15017) == 37

tt = split(86, [w for _, w in WF][:12])
trainers = []
for (a, _), nn in zip(WF[:12], tt):
    for j in range(nn):
        trainers.append([f"T-{a}-{j + 1:02d}", a, "RSRT", "2015-04-2" + str(j % 9)])
write_csv("training/trainers.csv", ["trainer_ref", "agency", "programme", "accredited_on"], trainers)
assert len(trainers) == 86

# Figure 34/35: earlier years (made up; 2014-15 "nearly half" of 2015-16 and utilisation slightly higher).
write_csv("training/year_totals.csv", ["year", "courses_run", "sessions_cancelled", "places_offered", "places_taken"], [
    ["2010-11", 74, 4, 1690, 1490], ["2011-12", 81, 3, 1840, 1640], ["2012-13", 92, 5, 2050, 1870],
    ["2013-14", 98, 4, 2190, 2010], ["2014-15", 108, 3, 2380, 2190],
])
write_csv("training/charge_policy.csv", ["did_not_attend_pence", "late_cancellation_pence", "cancellation_window_days", "exempt_statutory"],
          [[5000, 2500, 5, "true"]])

# ----------------------------------------------------------------------------------------
# Finance
# ----------------------------------------------------------------------------------------
contrib = [("BCC-PEOPLE", 403309), ("WMP", 78500), ("CC-CCG", 64000), ("BSC-CCG", 45900), ("SWB-CCG", 28300), ("BCH", 9500),
           ("BCHC", 9500), ("BSMHFT", 9500), ("BWH", 4500), ("HEFT", 4500), ("UHB", 4500), ("NPS", 4200), ("CRC", 4200),
           ("ROH", 2000), ("SWBH", 2000), ("BCC-PLACE", 0), ("BCC-ECONOMY", 0), ("YOS", 0), ("PH", 0), ("NHSE", 0), ("WMAS", 0)]
assert sum(v for _, v in contrib) == 674409
fin = []
for a, v in contrib:
    note = {"BCC-PLACE": "Included in the City Council contribution", "BCC-ECONOMY": "Included in the City Council contribution",
            "YOS": "Included in the City Council contribution", "PH": "Included in the City Council contribution",
            "NHSE": "Regional body: no local contribution", "WMAS": "Regional body: no local contribution"}.get(a, "")
    fin.append(["2015-16", "contribution", a, "", "", v * 100, v * 100, v * 100, "", "", note])
income = [("training_fees", "Training fees from non-partner organisations", 3650), ("non_attendance_charges", "Training non-attendance charges", 4500)]
assert sum(v for _, _, v in income) == 8150
for cat, d, v in income:
    fin.append(["2015-16", "income", "", cat, d, v * 100, "", "", "", "", ""])
exp = [("business_support_unit", 372000, 366240, "Business Support Unit staffing"),
       ("independent_chair", 48000, 47600, "Independent Chair"),
       ("training", 190000, 201850, "Multi-agency training, including the carry forward reinvested"),
       ("learning_reviews", 110000, 96300, "Serious Case Reviews and Learning Lessons Reviews"),
       ("quality_assurance", 45000, 42180, "Audit programme and the independent MASH review")]
for cat, b, a, note in exp:
    fin.append(["2015-16", "expenditure", "", cat, "", a * 100, "", "", b * 100, "", note])
for d in ("Office accommodation", "IT support", "Legal support", "Financial support", "HR support"):
    fin.append(["2015-16", "in_kind", "BCC-PEOPLE", "", d, "", "", "", "", "", "Hosting of the BSCB Business Support Unit"])
fin.append(["2015-16", "carry_forward", "", "", "Carry forward from 2014-15", 10587000, "", "", "", "", "Closing balance of 2014-15 as published; 2014-15 is not held line by line"])
fin.append(["2015-16", "planned_change", "", "reduction", "Public sector funding", 7984900, "", "", "", "", "The impact of public sector funding on partner contributions in 2016-17"])
write_csv("finance.csv", ["year", "kind", "agency", "category", "description", "amount_pence", "invoiced_pence", "received_pence",
                          "budget_pence", "date", "note"], fin)
assert 67440900 + 10587000 + 815000 == 78842900

print(f"indicators {len(indicators)}, observations {len(obs)}, audits {len(audits)}, case reviews {len(cases)}, "
      f"sessions {len(sessions)}, delegates {len(delegates)}, evaluations {len(evals)}, finance lines {len(fin)}")
print("training totals", totals, "rsrt session trained", rsrt_session_trained)
