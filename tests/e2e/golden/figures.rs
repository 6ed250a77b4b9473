//! The reference report's figures as the assembled report must print them, each with the
//! words of its sentence (or the label of its table row), not the number alone. One row per
//! figure: `(what the figure is, a fragment of the sentence that carries it)`. Numbers are
//! matched exactly as printed, the words around them in any case. To add a figure, add a row
//! in its part; a fragment needs the number and at least three words (see
//! `every_figure_is_checked_with_its_words`).
//!
//! Figures of the reference report the dataset does not carry are in [`ABSENT`] with the
//! reason, so that nothing is left out silently.

pub(super) const PUBLISHED: &[(&str, &str)] = &[
    // ----------------------------------------------------------- Part 1: context
    (
        "population, the latest figure with its year",
        "Population of Birmingham was 1,101,360 in 2014/15, the latest figure received",
    ),
    (
        "population growth 2011-2014",
        "grown by 3% between 2011 and 2014",
    ),
    (
        "population growth to 2031 (150,000)",
        "projected 1,251,360 in 2030/31, 150,000 (13.6%) higher than in 2014/15",
    ),
    (
        "population aged under 30",
        "45.9% of the population aged under 30",
    ),
    (
        "children aged 0-4 in five years",
        "due to grow to 87,753 children",
    ),
    (
        "children aged 0-4: growth",
        "Children aged 0-4: projected 87,753 in 2020/21, 955 (1.1%) more than in 2015/16",
    ),
    (
        "children aged 5-9 in five years",
        "expected to grow to 84,588",
    ),
    (
        "children aged 5-9: growth",
        "Children aged 5-9: projected 84,588 in 2020/21, 4,028 (5%) more than in 2015/16",
    ),
    (
        "children aged 10-14 in five years",
        "age group, increasing to 78,876",
    ),
    (
        "children aged 10-14: growth",
        "Children aged 10-14: projected 78,876 in 2020/21, 5,639 (7.7%) more than in 2015/16",
    ),
    (
        "residents not White British (2011 census)",
        "42.1% of residents classified themselves within an ethnic group other than White British",
    ),
    (
        "residents not White British (2001 census)",
        "ethnic group other than White British, compared to 30% in 2001",
    ),
    (
        "rise in residents not White British since 2001",
        "12.1 percentage points higher than in 2001/02 (30%)",
    ),
    (
        "under-18s not White British",
        "over 60% of the under 18 population",
    ),
    (
        "under-18s not White British in 2001",
        "compared to around 44% in 2001",
    ),
    (
        "households without English as main language",
        "Some 7.5% of households in Birmingham",
    ),
    (
        "pupils with English as an additional language (share)",
        "43% of Birmingham's school children have a first language",
    ),
    (
        "pupils with English as an additional language",
        "This equates to 38,089 pupils",
    ),
    (
        "pupils with English as an additional language: change (printed whole, 1.3% in the reference)",
        "38,089 pupils with a first language other than English, 1% more than the previous year (37,600)",
    ),
    ("IMD rank", "Index of Multiple Deprivation rank was 6"),
    (
        "IDACI rank",
        "Income Deprivation Affecting Children Index rank was 15",
    ),
    (
        "children in a deprived household",
        "over 30% of children living in a deprived household",
    ),
    (
        "child poverty",
        "37% of children in Birmingham were living below the poverty line in 2014",
    ),
    (
        "child poverty: UK average",
        "| Children in poverty after housing costs | 37% (2014/15) | 37% | – | – | – | – | 25% |",
    ),
    (
        "child poverty rank",
        "Child poverty rank among local authorities was 8 in 2014/15",
    ),
    (
        "schools",
        "447 schools in the city, comprising a mix of academies",
    ),
    (
        "elective home education",
        "There were 938 children in elective home education",
    ),
    (
        "special educational needs",
        "34,289 pupils with special educational needs",
    ),
    ("children's centres", "There were 73 children's centres"),
    (
        "youth service",
        "10,750 different young people aged 11-25 received a youth service",
    ),
    ("youth service BME", "62% of them from BME backgrounds"),
    (
        "YOS programmes",
        "The Youth Offending Service provided 3,059 programmes",
    ),
    (
        "CCGs",
        "There are 3 Clinical Commissioning Groups (CCGs) in the city",
    ),
    ("GP practices", "The city has 275 GP practices"),
    ("GPs", "Working in them are 1,148 GPs"),
    (
        "children's workforce",
        "in the statutory sector is above 85,000",
    ),
    (
        "NEET young people",
        "There were 2,006 young people aged sixteen to nineteen not in education",
    ),
    (
        "NEET share",
        "Young people aged 16-19 NEET (share) was 5.4%",
    ),
    (
        "care leavers in suitable accommodation (Part 1)",
        "Care leavers in suitable accommodation (key facts) was 95.8%",
    ),
    (
        "care leavers NEET (42 of 85)",
        "49.4% of care leavers were NEET at the end of March 2016",
    ),
    // ----------------------------------------------------------- Part 2: priorities
    (
        "LAC review participation",
        "participating in their reviews was 97%",
    ),
    (
        "CP case file audit",
        "7 of 10 case files (70%) required improvement",
    ),
    ("FGM audit", "Audit of FGM practice: 4 of 5 case files"),
    (
        "fCAF opened",
        "1,807 Family Common Assessment Frameworks opened",
    ),
    (
        "family support assessments",
        "Family Support opened 4,997 assessments",
    ),
    (
        "Think Family families",
        "| Families worked with by the Think Family programme | 3,623 |",
    ),
    (
        "Think Family target",
        "Families worked with by the Think Family programme is on target (green): 3,623 against a target of 2,409",
    ),
    (
        "CAIT crimes",
        "2,031 recorded crimes against children investigated by CAIT",
    ),
    (
        "CAIT crimes: previous year and change",
        "investigated by CAIT, 34% more than the previous year (1,517)",
    ),
    (
        "CAIT crimes, West Midlands",
        "5,267 recorded crimes against children, West Midlands force area",
    ),
    (
        "CAIT crimes, West Midlands: increase",
        "West Midlands force area, 43% more than the previous year (3,683)",
    ),
    (
        "CAIT crimes still investigated",
        "There were 386 Birmingham CAIT crimes still under investigation",
    ),
    (
        "police protection",
        "There were 321 occasions police protection was used",
    ),
    (
        "police protection: previous year",
        "police protection was used, 25% fewer than the previous year (428)",
    ),
    (
        "children in police protection",
        "There were 467 children taken into police protection",
    ),
    (
        "referrals",
        "There were 13,013 referrals to children's social care",
    ),
    ("assessments", "There were 11,470 assessments carried out"),
    (
        "Section 47 enquiries",
        "There were 3,781 section 47 enquiries",
    ),
    (
        "re-referrals within the 18-25% band",
        "| Re-referrals within 12 months | 21.5% | 22.9% | -1.4 pts | ► no change | ✔ Green | 25% |",
    ),
    (
        "unallocated family assessments, Q1",
        "the number unallocated dropped from 194 in Quarter 1",
    ),
    (
        "unallocated family assessments, Q4",
        "dropped from 194 in Quarter 1 to 0 in Quarter 4",
    ),
    (
        "family assessments out of time, Q1",
        "137 were out of time in Quarter 1",
    ),
    (
        "family assessments out of time, Q4",
        "53 open family assessments over 45 days",
    ),
    (
        "child protection plans",
        "851 children subject of a child protection plan",
    ),
    (
        "CP rate benchmarks (England 43, statistical neighbours 50)",
        "| Child protection plans per 10,000 children | 31.1 per 10,000 | 36.8 per 10,000 | -15% | ▼ down | – | – | 43 per 10,000 | 50 per 10,000 |",
    ),
    (
        "LAC rate at 31 December 2015",
        "was 68 per 10,000 children at 31 December 2015",
    ),
    (
        "LAC rate at 31 March 2016",
        "and 66 per 10,000 by the end of March 2016",
    ),
    (
        "LAC rate benchmarks (England 60, statistical neighbours 78.9)",
        "| Children in care per 10,000 children | 66 per 10,000 | 69.6 per 10,000 | -5% | ▼ down | – | – | 60 per 10,000 | 78.9 per 10,000 |",
    ),
    ("children in care", "There were 1,807 children in care"),
    ("child in need", "2,088 children on a child in need plan"),
    (
        "health assessments",
        "health assessment in the last 12 months was 83%",
    ),
    (
        "health assessments: previous year",
        "was 83%, 4 percentage points lower than the previous year (87%)",
    ),
    (
        "health assessments: national average 90%",
        "| Children in care with a health assessment in the last 12 months | 83% | 87% | -4 pts | ▼ down (worsening) | ✖ Red | 90% | 90% |",
    ),
    (
        "care leavers in suitable accommodation",
        "Care leavers in suitable accommodation was 98%",
    ),
    (
        "care leavers in suitable accommodation: previous year",
        "was 98%, 4 percentage points higher than the previous year (94%)",
    ),
    (
        "care leavers in education, employment or training",
        "Care leavers in education, employment or training was 54%",
    ),
    (
        "care leavers in education, employment or training: previous year",
        "was 54%, 3 percentage points lower than the previous year (57%)",
    ),
    (
        "social worker caseload",
        "Average social worker caseload was 15",
    ),
    (
        "health visitor caseload",
        "Average health visitor caseload was 343",
    ),
    (
        "front door referral audits",
        "88 cases reviewed in 12 audits",
    ),
    (
        "front door referrals requiring improvement",
        "35 (40%) were graded requires improvement",
    ),
    (
        "Right Service Right Time reach",
        "Right Service, Right Time: 5,580 of 15,017 trained (37%)",
    ),
    (
        "Right Service Right Time: staff confident",
        "80% of staff expressed confidence in determining levels of need",
    ),
    (
        "employee survey: respondents",
        "1,175 practitioners from 17 organisations responded",
    ),
    (
        "employee survey: organisations",
        "from 17 organisations responded; 83%",
    ),
    (
        "employee survey: knew how to access guidance",
        "83% knew how to access guidance",
    ),
    (
        "employee survey in 2013",
        "guidance on how to make a good fCAF and referral, against 50% in 2013",
    ),
    // ----------------------------------------------------------- Part 2: assurance
    ("MASH review recommendations", "It made 13 recommendations"),
    (
        "internal audit: schools visited",
        "internal audit visited 36 maintained schools",
    ),
    (
        "internal audit: internet monitoring",
        "60% had an appropriate internet monitoring system",
    ),
    (
        "internal audit: lettings",
        "72% were fully compliant on due diligence",
    ),
    (
        "internal audit: governing body approval",
        "74% had Governing Body approval",
    ),
    (
        "Section 11 returns",
        "21 of 21 statutory agencies (100%) completed a Section 11 self-assessment",
    ),
    (
        "Section 11 regional returns",
        "2 of them through a regional return",
    ),
    (
        "private fostering: new arrangements",
        "34 new private fostering arrangements were assessed",
    ),
    (
        "private fostering: remaining",
        "There were 15 private fostering arrangements assessed in the year that remain",
    ),
    (
        "private fostering: ended",
        "There were 19 private fostering arrangements assessed in the year that ended",
    ),
    (
        "private fostering: children",
        "There were 23 children in private fostering arrangements",
    ),
    (
        "DSL briefings attendance, before",
        "rose from 65% to 85% of schools",
    ),
    (
        "DSL briefings attendance",
        "Schools attending DSL briefings or conferences was 85%, 20 percentage points higher",
    ),
    (
        "DSL knowledge and skills",
        "average increase of 29% in delegates' knowledge and skills",
    ),
    (
        "Rights Respecting Schools",
        "130 schools are registered for the UNICEF Rights Respecting Schools Award",
    ),
    (
        "Section 175 completion",
        "512 of 526 schools and settings (97.3%)",
    ),
    // ----------------------------------------------------------- Part 2: LADO
    ("LADO referrals", "There were 1,100 referrals to the LADO"),
    (
        "LADO referrals: previous year",
        "referrals to the LADO, 2% more than the previous year (1,076)",
    ),
    (
        "LADO referrals 2013/14",
        "compared with 1,076 last year and 864 in 2013/14",
    ),
    (
        "LADO formal meetings",
        "Just under a quarter of the referrals (270)",
    ),
    (
        "LADO referrals from education",
        "education: 596, 80% more than the previous year (331)",
    ),
    // ----------------------------------------------------------- Part 2: vulnerable groups
    (
        "CSE incidents",
        "787 CSE-related incidents recorded by the police in Birmingham",
    ),
    (
        "CSE incidents: previous year and change",
        "recorded by the police in Birmingham, 11% more than the previous year (712)",
    ),
    (
        "CSE incidents, West Midlands",
        "There were 1,635 CSE-related incidents, West Midlands",
    ),
    (
        "CSE incidents, West Midlands: change",
        "CSE-related incidents, West Midlands, 27% more than the previous year",
    ),
    (
        "at risk of CSE",
        "248 young people aged between eleven and seventeen were identified as at risk of CSE",
    ),
    (
        "missing incidents",
        "West Midlands Police recorded 1,622 incidents of missing children",
    ),
    (
        "missing incidents under 12",
        "68 incidents related to children under twelve",
    ),
    (
        "missing incidents by age (figure 26)",
        "By age band: under 12: 68; 12 to 17: 1,554",
    ),
    (
        "children in need living with domestic abuse",
        "77% of children in need were living with domestic abuse",
    ),
    (
        "domestic abuse: national 48%",
        "| Children in need living with domestic abuse | 77% | – | – | – | – | – | 48% |",
    ),
    (
        "joint screening notifications",
        "domestic abuse cases known to the police increased by 29%",
    ),
    (
        "high risk referrals",
        "at high risk of serious harm or death increased by 36%",
    ),
    (
        "children bereaved through domestic homicide",
        "2 children in Birmingham were bereaved through the homicide of their mother",
    ),
    (
        "FGM reports",
        "the Police received 38 reports in relation to FGM",
    ),
    (
        "FGM Protection Orders",
        "the courts issued 3 FGM Protection Orders",
    ),
    (
        "WRAP training",
        "training was delivered to 15,000 front-line staff in schools",
    ),
    (
        "forced marriage incidents",
        "only 12 forced marriage incidents were reported",
    ),
    (
        "Forced Marriage Protection Orders",
        "The courts granted 6 Forced Marriage Protection Orders",
    ),
    (
        "child deaths 2014/15",
        "| Child deaths reviewed by the Child Death Overview Panel | – | 165 |",
    ),
    // ----------------------------------------------------------- Part 3
    (
        "board membership, counted from the register's seats",
        "The Board has 53 members from 29 agencies, including 2 lay members",
    ),
    (
        "board gender ratio",
        "55% of the members are women and 45% men",
    ),
    (
        "practitioners forum",
        "The Practitioners Forum has 149 members",
    ),
    (
        "child deaths reviewed, with the period of the deaths",
        "reviewed 165 deaths that occurred between 1 April 2014 and 31 March 2015",
    ),
    (
        "business plan: actions completed",
        "Of the 174 actions of the plan, 10 (6%) were completed",
    ),
    (
        "education establishments",
        "conduit between the 526 education establishments",
    ),
    (
        "schools trained in Right Service Right Time",
        "75% of schools have already undertaken the Right Service, Right Time training",
    ),
    (
        "training courses and places",
        "203 training courses delivering 4,489 places",
    ),
    (
        "course utilisation",
        "Course utilisation remains high at 90%",
    ),
    (
        "total budget",
        "The budget for 2015/16 amounted to £788,429",
    ),
    ("agency contributions", "agency contributions of £674,409"),
    ("carry forward", "a carry forward of £105,870"),
    (
        "income generation",
        "from the previous year and income of £8,150",
    ),
    ("2016/17 reduction", "amount to a net reduction of £79,849"),
    (
        "courses and places",
        "The board delivered 203 training courses and 4,489 training places",
    ),
];

/// Figures of the reference report that the dataset does not carry, with the reason.
pub(super) const ABSENT: &[(&str, &str)] = &[
    (
        "80,000 more houses needed by 2031",
        "a planning estimate outside the board's data; kept as words in the Population narrative",
    ),
    (
        "Think Family: 14,170 families by 2020",
        "a programme target for 2020; the dataset holds the year's target (2,409), and the narrative keeps the long-term aim as words",
    ),
    (
        "Birmingham's 48% share of West Midlands CSE reports",
        "a ratio of two held figures (787 / 1,635) that no indicator defines; both figures are printed",
    ),
    (
        "Birmingham's average 41% of West Midlands CAIT volumes",
        "an average of monthly shares the report does not print (2,031 / 5,267 is 38.6%)",
    ),
    (
        "CAIT last quarter +6% on Q3 and +28% on Q4 2014/15",
        "the quarters are printed (556, 525 and 434); the changes between them are not generated for narrative quarters",
    ),
    (
        "re-referral audit: 27% of referrals clearly articulate the voice of the child",
        "the audit's question answers are held but the report prints grades per audit (20 of 30 requiring improvement), not answers to a question",
    ),
    (
        "MASH review: referrals down 37% (October 2014 to March 2015) and 16% (September to November 2015)",
        "findings of the independent review, held as its text in the inspection's key findings, not as indicators",
    ),
    (
        "Section 175: 99% of schools, 63% in 2012/13",
        "held (section175_year_totals.csv) but the report prints only the year's completion (97.3%)",
    ),
    (
        "Section 175: the 97% completion rate (Safeguarding in Education sub-group)",
        "the same figure as 97.3%, printed once with its decimal",
    ),
    (
        "FGM: 2,500 website hits, over 100 teachers trained",
        "activity counts of a partnership outside the board, not submitted as data",
    ),
    (
        "WRAP: target of over 300 workshops for 2016/17",
        "a next-year target of another partnership",
    ),
    (
        "13 children bereaved through domestic homicide since 2011",
        "a cumulative count since 2011; the dataset holds the year's (2)",
    ),
    (
        "over 80% of domestic homicide reviews, at least 1 in 5 children exposed to domestic abuse",
        "findings of other bodies' reviews and needs assessment, not data of the board",
    ),
    (
        "Figures 3-5 (injuries, self-harm, assaults, drug or alcohol A&E attendances) and figure 24 (CSE risk by local authority)",
        "the reference report prints no numbers for them",
    ),
    (
        "'nearly 200 countries', '19 recommendations' of the CSE health check, 'over 200 practitioners' at the early help conference",
        "descriptive numbers in authored text, not figures the board's data holds",
    ),
];

#[test]
fn every_figure_is_checked_with_its_words() {
    for (what, fragment) in PUBLISHED {
        let words = fragment
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.len() >= 2)
            .count();
        assert!(
            fragment.chars().any(|c| c.is_ascii_digit()) && words >= 3,
            "{what}: {fragment:?} must hold the number and at least three words of its sentence"
        );
    }
    let mut names: Vec<&str> = PUBLISHED.iter().map(|(w, _)| *w).collect();
    names.sort();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "a figure is listed twice");
    assert!(
        ABSENT.iter().all(|(_, why)| why.len() > 20),
        "every absent figure says why"
    );
}
