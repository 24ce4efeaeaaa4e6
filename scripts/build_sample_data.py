#!/usr/bin/env python
"""Build the bundled FICTIONAL sample submissions (data/raw) and the mini fixture corpus.

Every case study below was written for soa-analysis; none is a real submission. The
councils are real (so council recognition can be exercised), but the projects, figures,
people, e-mail addresses (fictional local parts at the council's domain) and phone
numbers (Ofcom's drama ranges) are invented.

The generator is deterministic: no randomness, fixed dates in document properties, fixed
zip member dates, reportlab's ``invariant`` mode, fixed MIME boundaries. Re-running it
produces byte-identical files, which ``tests/test_sample_data.py`` checks.

Usage::

    .venv/bin/python scripts/build_sample_data.py [--out data/raw] [--mini tests/fixtures/mini_raw]
                                                  [--expected tests/fixtures]

It also writes ``sample_expected.csv`` and ``mini_expected.csv`` (the facts each file was
written to carry: council, priorities, intended evidence grade, expected ingest status)
into the ``--expected`` folder. Nothing is written elsewhere; the output folders are
emptied first, so a file removed from this script disappears from the sample.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import email.policy
import email.utils
import io
import re
import shutil
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

# The mark the ingest stage finds (soa_analysis.fictional): a report built from these files
# says on every page that it is fictional.
from soa_analysis.fictional import DISCLAIMER, FICTIONAL_MARK  # noqa: E402

# The 2009 template's questions, worded as on the form.
Q_2009 = {
    "title": "1. Name of SOA case study",
    "need": "2. What was the local need addressed by this SOA case study?",
    "actions": "3. What was done - and by which partners?",
    "evidence": (
        "4. What is the evidence of the benefits for communities - or if the benefits are still "
        "to be delivered, what is the timeline for that?"
    ),
    "added_value": "5. What added value has the SOA process brought to the delivery of these benefits?",
    "next_steps": "6. What next steps are you taking to meet this local need?",
    "contact": "Contact details of lead officer",
}
# Reworded / abbreviated headings some councils used instead.
Q_ABBREV = {
    "title": "Q1 - Name",
    "need": "Q2 - Local need",
    "actions": "Q3 - What we did and with whom",
    "evidence": "Q4 - Evidence of benefit",
    "added_value": "Q5 - Added value of the SOA",
    "next_steps": "Q6 - Next steps",
    "contact": "Lead officer",
}
SECTIONS = ("title", "need", "actions", "evidence", "added_value", "next_steps")

# The 2010 template's checklist: (id as in soa_analysis.ingest.document.CHECKLIST_IDS, label).
CHECKLIST_2010 = (
    ("economic_growth", "Economic recovery"),
    ("early_years", "Children's early years"),
    ("health_inequalities", "Health inequalities"),
    ("other_local_issues", "Other key local issues"),
    ("prevention", "A shift to prevention and early intervention"),
    ("resources", "Better use of resources (budgets, staff, buildings, equipment, etc.)"),
    ("business_processes", "Improved business processes (service planning, staff engagement, performance management, etc.)"),
    ("partnership", "Partnership working"),
    ("localisation", "Localisation of the SOA / local Community Planning"),
    ("community_engagement", "Community engagement and feedback"),
    ("voluntary_sector", "Engagement of the voluntary sector"),
    ("business_sector", "Engagement of the business sector"),
    ("performance", "Improved performance attributable to the SOA approach"),
    ("cost_effectiveness", "More cost effective performance attributable to the SOA approach"),
)
CHECKLIST_INTRO = (
    "This case study primarily demonstrates good practice or progress in addressing the following "
    "issues (please tick all that apply):"
)

# Form-export column headers (an online version of the 2009 form).
FORM_HEADERS = (
    "Timestamp",
    "Council / Community Planning Partnership",
    "Q1 Name of SOA case study",
    "Q2 What was the local need addressed by this case study?",
    "Q3 What was done - and by which partners?",
    "Q4 What is the evidence of the benefits for communities (or the timeline, if still to be delivered)?",
    "Q5 What added value has the SOA process brought?",
    "Q6 What next steps are you taking?",
    "Contact details of lead officer",
    "Note",
)


@dataclass
class Case:
    """One fictional case study and the facts it was written to carry."""

    key: str
    council: str
    cpp: str
    domain: str
    officer: str
    job: str
    phone: str
    date: str  # ISO date of the submission
    priorities: tuple[str, ...]
    grade: str  # intended evidence grade: strong, some, planned, none
    themes: tuple[str, ...]  # intended added-value themes (checklist ids)
    title: str
    need: str
    actions: str  # paragraphs separated by "\n"
    evidence: str
    added_value: str
    next_steps: str
    # 2010 template only
    outline: str = ""
    ticked: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    partners: str = ""

    @property
    def email(self) -> str:
        return self.officer.lower().replace(" ", ".") + "@" + self.domain

    @property
    def contact(self) -> str:
        return f"{self.officer}, {self.job}, {self.council_body}. E-mail: {self.email}. Tel: {self.phone}"

    @property
    def council_body(self) -> str:
        special = {
            "Na h-Eileanan Siar": "Comhairle nan Eilean Siar",
            "City of Edinburgh": "The City of Edinburgh Council",
            "Highland": "The Highland Council",
            "Moray": "The Moray Council",
        }
        return special.get(self.council, f"{self.council} Council")

    def section(self, name: str) -> str:
        return getattr(self, name)

    def when(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.date).replace(hour=10)


# ---------------------------------------------------------------------------------------------
# The case studies (all fictional).
# ---------------------------------------------------------------------------------------------
CASES: dict[str, Case] = {}


def _case(**kw) -> Case:
    c = Case(**kw)
    if c.key in CASES:
        raise ValueError(f"duplicate case key {c.key}")
    CASES[c.key] = c
    return c


_case(
    key="fife_reablement", council="Fife", cpp="Fife Partnership", domain="fife.gov.uk",
    officer="Alex Fictional", job="Community Planning Officer", phone="01632 960101", date="2011-06-14",
    priorities=("older_people",), grade="strong", themes=("prevention", "partnership", "resources"),
    title="Home First: reablement at home for older people in Fife",
    need=(
        "Fife has a fast-growing population aged 75 and over, and too many older people were admitted to "
        "hospital in an emergency or stayed in hospital after they were fit to leave. Our SOA local outcome "
        "is that older people live independently at home for longer."
    ),
    actions=(
        "Fife Council Social Work and NHS Fife set up joint reablement teams that give up to six weeks of "
        "intensive support at home after an illness or a fall, before any long-term care package is decided.\n"
        "Fife Constabulary and Fife Fire and Rescue Service refer older people they meet on home safety visits, "
        "and the voluntary sector runs a shopping and befriending service alongside the teams."
    ),
    evidence=(
        "Emergency admissions of people aged 65+ fell from 298 per 1,000 in 2008/09 to 271 per 1,000 in 2010/11 "
        "(NHS Fife hospital activity data). Of the 1,140 people who completed reablement in 2010/11, 58% needed "
        "no further home care six weeks later, against 31% in the 2009 pilot baseline. Delayed discharges over "
        "six weeks fell from 42 in April 2009 to 9 in April 2011."
    ),
    added_value=(
        "The SOA gave the partners one shared outcome and one set of indicators, so health and social work "
        "budgets were pooled for the first time. Shared data on admissions let us target prevention at the "
        "areas with the highest rates."
    ),
    next_steps=(
        "Extend reablement to people leaving community hospitals by March 2012 and add telecare to every "
        "reablement package during 2012/13."
    ),
)

_case(
    key="dundee_employability", council="Dundee City", cpp="Dundee Partnership", domain="dundeecity.gov.uk",
    officer="Sam Sample", job="Employability Co-ordinator", phone="01632 960102", date="2010-11-03",
    priorities=("employment",), grade="some", themes=("partnership", "voluntary_sector"),
    title="Dundee Works Pathway: one door into employability support",
    need=(
        "Worklessness in Dundee is well above the Scottish average, and people looking for work faced more than "
        "twenty separate employability projects with different entry rules. Many long-term unemployed people "
        "gave up before they reached the right support."
    ),
    actions=(
        "Dundee City Council, Jobcentre Plus, Skills Development Scotland and Dundee College agreed a single "
        "employability pathway with one assessment and one key worker for each client.\n"
        "Voluntary organisations deliver the early stages (confidence, basic skills, volunteering) and the "
        "college and employers deliver vocational training and work placements.\n"
        "A shared client tracking system records each person's progress along the pathway."
    ),
    evidence=(
        "In its first year 640 people joined the pathway, 212 gained a qualification and 151 moved into a job. "
        "Clients told us in focus groups that they no longer had to repeat their story to every agency. Jobcentre "
        "Plus advisers say referrals are quicker and better matched."
    ),
    added_value=(
        "The SOA outcome on employability brought the funders round one table and let us align European, council "
        "and Fairer Scotland Fund money behind a single pathway instead of competing projects."
    ),
    next_steps=(
        "We will add an in-work support stage for people moving into low-paid jobs from April 2011 and publish "
        "job outcome figures every quarter."
    ),
)

_case(
    key="highland_nursery_outreach", council="Highland", cpp="Highland Community Planning Partnership",
    domain="highland.gov.uk", officer="Jo Example", job="Early Years Development Officer", phone="01632 960103",
    date="2011-09-20", priorities=("early_years",), grade="planned", themes=("localisation", "resources"),
    title="Early learning outreach for families in remote Highland communities",
    need=(
        "In remote glens and islands many three and four year olds cannot reach a nursery, and parents of young "
        "children have little access to parenting support or health visitor drop-ins."
    ),
    actions=(
        "The Highland Council, NHS Highland and voluntary playgroups are converting two vehicles into mobile "
        "early learning and childcare units that visit eight communities each week.\n"
        "Health visitors join the units for developmental checks of babies and toddlers, and a parenting "
        "programme is offered at each stop."
    ),
    evidence=(
        "The benefits are still to be delivered. The first unit will start visiting in January 2012 and the "
        "second by March 2012. By March 2013 we expect every eligible child in the eight communities to have an "
        "early learning place, and we will measure child development at the 27-30 month review against the "
        "2010/11 baseline."
    ),
    added_value=(
        "Local community planning partnerships in each ward identified the communities most in need, and the "
        "partners shared buildings and vehicles rather than each funding their own outreach."
    ),
    next_steps=(
        "Recruit two early years practitioners by December 2011, launch the service in January 2012 and report "
        "first results to the partnership in June 2012."
    ),
)

_case(
    key="north_lanarkshire_asb", council="North Lanarkshire", cpp="North Lanarkshire Partnership",
    domain="northlan.gov.uk", officer="Morgan Madeup", job="Community Safety Manager", phone="0141 496 0104",
    date="2011-02-28", priorities=("safer_communities",), grade="strong",
    themes=("partnership", "business_processes", "performance"),
    title="Tasking and co-ordinating to reduce antisocial behaviour",
    need=(
        "Residents in several town centres told us antisocial behaviour and youth disorder were their top "
        "concern, and repeat calls to the police about the same locations were rising."
    ),
    actions=(
        "North Lanarkshire Council, Strathclyde Police, Strathclyde Fire and Rescue and housing associations "
        "created a joint community safety hub which meets every week to task officers to hotspots.\n"
        "Actions included: joint patrols by police and community wardens; diversionary football and youth "
        "club activities on Friday nights; CCTV redeployed to the hotspots; early warning letters and "
        "acceptable behaviour contracts for young people."
    ),
    evidence=(
        "Recorded incidents of antisocial behaviour fell from 9,830 in 2008/09 to 7,410 in 2010/11, a reduction "
        "of 25% (Strathclyde Police data). Deliberate fires fell by 31% over the same period. The residents' "
        "survey showed the share who felt safe walking alone after dark rose from 54% in 2008 to 63% in 2010."
    ),
    added_value=(
        "The SOA made community safety a shared outcome, so partners now share incident data every week and "
        "agree one tasking plan instead of separate operations."
    ),
    next_steps=(
        "Roll the hub model out to the remaining localities by September 2011 and add reoffending data from "
        "the criminal justice social work service."
    ),
)

_case(
    key="angus_town_centres", council="Angus", cpp="Angus Community Planning Partnership", domain="angus.gov.uk",
    officer="Robin Placeholder", job="Regeneration Officer", phone="01632 960105", date="2009-12-08",
    priorities=("economic_growth", "employment"), grade="some", themes=("business_sector", "community_engagement"),
    title="Reviving Angus town centres and local jobs",
    need=(
        "The recession hit shops and small businesses in our burgh town centres; vacant units rose and young "
        "people were leaving the area to find work."
    ),
    actions=(
        "Angus Council, Scottish Enterprise, the local chambers of commerce and Business Gateway set up a town "
        "centre regeneration fund for shop-front improvements and business start-up grants.\n"
        "Angus College and Jobcentre Plus ran a retail and hospitality skills academy so that local unemployed "
        "people could fill the new jobs, with guaranteed interviews from participating employers."
    ),
    evidence=(
        "Forty-six businesses received grants, 19 vacant units were brought back into use and 88 jobs were "
        "created or safeguarded. Of 60 academy trainees, 41 were offered jobs. Traders report higher footfall "
        "on market days."
    ),
    added_value=(
        "The SOA linked economic development and employability: the business grants came with a commitment to "
        "recruit locally, which would not have happened without the partnership."
    ),
    next_steps=(
        "Run a second round of the regeneration fund in 2010/11 and start a footfall counting programme so that "
        "we can measure town centre recovery properly."
    ),
)

_case(
    key="moray_falls", council="Moray", cpp="Moray Community Planning Partnership", domain="moray.gov.uk",
    officer="Casey Notreal", job="Health Improvement Officer", phone="01632 960106", date="2011-04-05",
    priorities=("older_people", "health_inequalities"), grade="some", themes=("prevention", "voluntary_sector"),
    title="Steady Steps: falls prevention and physical activity for older people",
    need=(
        "Falls are the main reason older people in Moray are admitted to hospital, and rates of physical "
        "activity among people over 65 are low, especially in the most deprived areas."
    ),
    actions=(
        "NHS Grampian physiotherapists, The Moray Council's sport and leisure service and Age Scotland volunteers "
        "run strength and balance classes in community halls, with free transport from rural villages.\n"
        "Care at home staff were trained to spot falls risks and refer people to the classes."
    ),
    evidence=(
        "Over 18 months, 37 classes were delivered and 410 older people took part; 86% completed the 12-week "
        "course. Participants' balance test scores improved on average, and several told us they now go out "
        "alone again: 'I feel steady on my feet and I have made new friends.'"
    ),
    added_value=(
        "Through the SOA the leisure service and the health board agreed to share venues and instructors, and "
        "the third sector brought volunteers the statutory partners could not fund."
    ),
    next_steps=(
        "Add classes in two more villages in 2011/12 and link with the Scottish Ambulance Service to follow up "
        "people who fall but are not taken to hospital."
    ),
)

_case(
    key="edinburgh_active_lives", council="City of Edinburgh", cpp="Edinburgh Partnership", domain="edinburgh.gov.uk",
    officer="Jamie Invented", job="Health Inequalities Lead", phone="0131 496 0107", date="2011-08-30",
    priorities=("health_inequalities",), grade="strong", themes=("prevention", "community_engagement", "partnership"),
    title="Active Lives: closing the physical activity gap in north Edinburgh",
    need=(
        "Adults in the most deprived neighbourhoods of the city were far less physically active than the city "
        "average, and early deaths from heart disease were twice as common there."
    ),
    actions=(
        "The City of Edinburgh Council, NHS Lothian, Edinburgh Leisure and local community health projects "
        "offered free walking groups, exercise on referral and community sport sessions, led by trained local "
        "volunteers.\n"
        "GP practices in the area referred patients with long-term conditions, and community councils helped "
        "publicise the sessions."
    ),
    evidence=(
        "The proportion of adults in the target neighbourhoods meeting the physical activity guideline rose from "
        "28% in 2008 to 36% in 2011 (neighbourhood health survey, 1,200 respondents each year). Over the same "
        "period the gap with the city average narrowed from 11 to 6 percentage points. Exercise on referral "
        "completion rose from 40% to 62%."
    ),
    added_value=(
        "The SOA's focus on reducing outcome gaps led partners to target resources at the neighbourhoods with "
        "the worst health, and residents helped design the programme."
    ),
    next_steps=(
        "Extend Active Lives to two further neighbourhoods by April 2012 and evaluate the effect on healthy "
        "weight with NHS Lothian during 2012/13."
    ),
)

_case(
    key="renfrewshire_family_support", council="Renfrewshire", cpp="Community Plan Renfrewshire",
    domain="renfrewshire.gov.uk", officer="Taylor Pretend", job="Children's Services Planning Officer",
    phone="0141 496 0108", date="2010-05-12", priorities=("early_years",), grade="some",
    themes=("prevention", "voluntary_sector"),
    title="Family support for parents of babies and young children in Renfrewshire",
    need=(
        "Health visitors reported a growing number of parents of babies and pre-school children who were "
        "isolated, struggling with parenting and at risk of needing social work intervention."
    ),
    actions=(
        "Renfrewshire Council, NHS Greater Glasgow and Clyde and two voluntary family centres created a family "
        "support service for parents from pregnancy until their child starts school.\n"
        "The service offers home visits, parenting groups, baby massage and help with early learning and "
        "childcare places."
    ),
    evidence=(
        "In 2009/10 the service supported 180 families. Parents completing the parenting groups reported more "
        "confidence, and health visitors saw fewer missed child health reviews among families using the service."
    ),
    added_value=(
        "Working together through the SOA meant a single referral route from health visitors, nurseries and "
        "social work, and the voluntary sector was funded as an equal partner."
    ),
    next_steps="Develop outcome measures with the health board and extend the service to fathers during 2010/11.",
)

_case(
    key="south_ayrshire_home_fire_safety", council="South Ayrshire", cpp="South Ayrshire Community Planning Partnership",
    domain="south-ayrshire.gov.uk", officer="Drew Imaginary", job="Partnership Development Officer",
    phone="0141 496 0109", date="2010-10-21", priorities=("safer_communities", "older_people"), grade="some",
    themes=("partnership", "business_processes"),
    title="Safe at home: home fire safety visits for older people",
    need=(
        "Most fire deaths in South Ayrshire were of older people living alone, and many older people did not "
        "have a working smoke alarm."
    ),
    actions=(
        "Strathclyde Fire and Rescue, South Ayrshire Council home care and community alarm services and Age "
        "Scotland agreed to refer older people for free home fire safety visits.\n"
        "Firefighters fitted smoke alarms and gave advice on safe heating, and referred people back for falls or "
        "care assessments where needed."
    ),
    evidence=(
        "1,320 home fire safety visits to people over 65 were completed in 2009/10 and 940 smoke alarms were "
        "fitted. Home care staff made 260 of the referrals. There have been no fire deaths among people who had "
        "a visit."
    ),
    added_value=(
        "Data sharing agreed through the SOA let the council pass addresses of home care clients to the fire "
        "service, which had not been possible before."
    ),
    next_steps="Extend referrals to the health board's district nurses and carers' centre during 2011.",
)

_case(
    key="stirling_business_support", council="Stirling", cpp="Stirling Community Planning Partnership",
    domain="stirling.gov.uk", officer="Kim Dummy", job="Economic Development Officer", phone="01632 960110",
    date="2010-03-09", priorities=("economic_growth",), grade="none", themes=("partnership",),
    title="Supporting Stirling's businesses through the recession",
    need="Businesses in Stirling were affected by the recession and needed support.",
    actions=(
        "Stirling Council worked with Business Gateway, Scottish Enterprise and Forth Valley College to support "
        "local businesses and promote tourism and enterprise."
    ),
    evidence=(
        "The initiative has been a great success and has made a real difference to the local economy. Partners "
        "are very positive about the approach and businesses value the support."
    ),
    added_value="The SOA has improved partnership working and brought partners together.",
    next_steps="Partners will continue to work together to support the economy.",
)

_case(
    key="glasgow_alcohol_brief_interventions", council="Glasgow City", cpp="Glasgow Community Planning Partnership",
    domain="glasgow.gov.uk", officer="Lee Specimen", job="Alcohol and Drug Partnership Co-ordinator",
    phone="0141 496 0111", date="2010-09-15", priorities=("health_inequalities",), grade="strong",
    themes=("prevention", "partnership", "performance"),
    title="Alcohol brief interventions in the community",
    need=(
        "Alcohol-related hospital admissions and early deaths in the east end were among the highest in "
        "Scotland, and most harmful drinkers never came into contact with specialist services."
    ),
    actions=(
        "NHS Greater Glasgow and Clyde, Glasgow City Council, Strathclyde Police and voluntary addiction services "
        "trained front-line staff in GP practices, housing offices, A&E and police custody to deliver alcohol "
        "brief interventions.\n"
        "Community pharmacies and money advice services joined in 2009."
    ),
    evidence=(
        "12,400 brief interventions were delivered in 2009/10 against a target of 9,800. Alcohol-related "
        "hospital admissions in the target area fell from 1,520 per 100,000 in 2007/08 to 1,390 per 100,000 in "
        "2009/10 (ISD Scotland). Follow-up of a sample of 300 people found that 38% had reduced their weekly "
        "drinking after three months."
    ),
    added_value=(
        "The SOA outcome on alcohol made it everyone's business: partners outside the NHS built brief "
        "interventions into their own staff training and performance reports."
    ),
    next_steps="Extend brief interventions to criminal justice social work and antenatal services by March 2011.",
    outline=(
        "Front-line staff across the partnership were trained to give short, structured advice to people "
        "drinking at harmful levels, reaching people who never attend specialist services."
    ),
    ticked=("health_inequalities", "prevention", "partnership", "performance"),
    outcomes=(
        "National Outcome 6 - We live longer, healthier lives",
        "National Outcome 7 - We have tackled the significant inequalities in Scottish society",
        "Local Outcome 4 - Fewer people are harmed by alcohol",
    ),
    partners=(
        "NHS Greater Glasgow and Clyde; Glasgow City Council; Strathclyde Police; voluntary addiction services; "
        "community pharmacies"
    ),
)

_case(
    key="west_lothian_apprenticeships", council="West Lothian", cpp="West Lothian Community Planning Partnership",
    domain="westlothian.gov.uk", officer="Pat Fabricated", job="Economic Development Manager", phone="0131 496 0112",
    date="2010-12-07", priorities=("employment", "economic_growth"), grade="strong",
    themes=("business_sector", "partnership", "performance"),
    title="Modern apprenticeships with local employers",
    need=(
        "Youth unemployment in West Lothian doubled during the recession and small firms said they could not "
        "afford to take on apprentices."
    ),
    actions=(
        "West Lothian Council, Skills Development Scotland, West Lothian College and Scottish Enterprise offered "
        "local businesses a wage subsidy for the first year of a modern apprenticeship.\n"
        "The council's own services and the NHS also created apprenticeships, and the college provided the "
        "off-the-job training."
    ),
    evidence=(
        "Between April 2009 and March 2010, 236 young people started a modern apprenticeship, compared with 98 "
        "in 2007/08. Claimant count unemployment among 18-24 year olds fell from 8.9% in March 2009 to 7.1% in "
        "March 2010, faster than the Scottish average. 81% of apprentices were still employed after 12 months."
    ),
    added_value=(
        "The SOA gave the partners a shared target for youth employment, and pooling funds made the subsidy big "
        "enough to persuade small businesses to take part."
    ),
    next_steps="Offer 250 more apprenticeships in 2011/12 and track completions and progression into work.",
    outline=(
        "A wage subsidy and shared training offer helped local employers create modern apprenticeships for "
        "young people during the recession."
    ),
    ticked=("economic_growth", "partnership", "business_sector", "performance"),
    outcomes=(
        "National Outcome 2 - We realise our full economic potential with more and better employment "
        "opportunities for our people",
        "Local Outcome 3 - More young people in employment, education or training",
    ),
    partners="West Lothian Council; Skills Development Scotland; West Lothian College; Scottish Enterprise; local employers",
)

_case(
    key="inverclyde_early_years", council="Inverclyde", cpp="Inverclyde Alliance", domain="inverclyde.gov.uk",
    officer="Chris Mockup", job="Early Years Co-ordinator", phone="0141 496 0113", date="2010-11-25",
    priorities=("early_years",), grade="some", themes=("prevention", "community_engagement"),
    title="Bookbug and Play at Home: early learning for babies and toddlers",
    need=(
        "Too many children in Inverclyde start nursery with delayed speech and language, and parents in the most "
        "deprived areas use libraries and play services least."
    ),
    actions=(
        "Inverclyde Council libraries and nurseries, NHS Greater Glasgow and Clyde health visitors and a local "
        "parents' network ran Bookbug sessions and home play visits for families with children aged 0-3."
    ),
    evidence=(
        "In 2009/10 there were 420 Bookbug sessions with 5,100 attendances by parents and children, and 150 "
        "families received home play visits. Nursery staff report that children who took part settle more "
        "quickly, and parents said they read to their child more often."
    ),
    added_value=(
        "The Alliance's early years outcome brought libraries, health visitors and nurseries to plan together, "
        "and parents helped decide where the sessions were held."
    ),
    next_steps="Introduce a speech and language screen at 30 months from August 2011 to measure the effect.",
    outline="Library, nursery and health visitor staff worked together to support early language and play at home.",
    ticked=("early_years", "prevention", "community_engagement"),
    outcomes=(
        "National Outcome 5 - Our children have the best start in life and are ready to succeed",
        "Local Outcome 1 - Children in Inverclyde are ready to learn when they start school",
    ),
    partners="Inverclyde Council; NHS Greater Glasgow and Clyde; Inverclyde parents' network",
)

_case(
    key="dumfries_telecare", council="Dumfries and Galloway", cpp="Dumfries and Galloway Strategic Partnership",
    domain="dumgal.gov.uk", officer="Jordan Testcase", job="Telecare Project Manager", phone="01632 960114",
    date="2011-01-18", priorities=("older_people",), grade="planned", themes=("prevention", "resources"),
    title="Telecare for older people in rural Dumfries and Galloway",
    need=(
        "Older people in remote rural areas have to move into care homes earlier than they wish because care at "
        "home visits are hard to provide over long distances."
    ),
    actions=(
        "Dumfries and Galloway Council social work, NHS Dumfries and Galloway and housing associations are "
        "installing telecare packages (falls sensors, medication prompts, door alarms) linked to a 24-hour "
        "response service."
    ),
    evidence=(
        "The first 300 packages will be installed by March 2012. We aim to reduce admissions to care homes and "
        "emergency hospital admissions of people aged 65+ from 2012/13, and will report against the 2010/11 "
        "baseline in our 2013 annual report."
    ),
    added_value=(
        "Partners pooled their Change Fund and housing adaptation budgets, which makes better use of resources "
        "than separate equipment stores."
    ),
    next_steps="Complete the installation programme by March 2012 and evaluate with the university by December 2013.",
    outline="Telecare packages will help older people in remote areas stay safely at home for longer.",
    ticked=("other_local_issues", "prevention", "resources"),
    outcomes=(
        "National Outcome 15 - Our people are able to maintain their independence as they get older and are able "
        "to access appropriate support when they need it",
        "Local Outcome 12 - Older people live independently in their own homes",
    ),
    partners="Dumfries and Galloway Council; NHS Dumfries and Galloway; housing associations; Scottish Care",
)

_case(
    key="aberdeen_youth_diversion", council="Aberdeen City", cpp="Community Planning Aberdeen",
    domain="aberdeencity.gov.uk", officer="Alex Fictional", job="Youth Justice Officer", phone="01632 960115",
    date="2011-03-22", priorities=("safer_communities",), grade="some", themes=("prevention", "partnership"),
    title="Youth diversion from offending in Aberdeen",
    need=(
        "A small number of young people were responsible for much of the youth offending in the city, and many "
        "were referred to the Children's Reporter for minor offences that could be dealt with earlier."
    ),
    actions=(
        "Aberdeen City Council, Grampian Police, the Scottish Children's Reporter Administration and Includem "
        "introduced early and effective intervention: a weekly multi-agency screening group agrees a quick, "
        "proportionate response to each young person charged with an offence."
    ),
    evidence=(
        "In 2010 the screening group considered 780 referrals and diverted 530 young people to early "
        "interventions such as restorative justice and mentoring. Referrals to the Reporter on offence grounds "
        "fell, and police officers say cases are resolved weeks sooner."
    ),
    added_value=(
        "The SOA's emphasis on prevention and early intervention gave partners the mandate to change their "
        "processes together and to share information about young people at risk."
    ),
    next_steps="Extend the approach to 16 and 17 year olds in the adult system during 2011/12.",
)

_case(
    key="shetland_employment_pathways", council="Shetland Islands", cpp="Shetland Partnership",
    domain="shetland.gov.uk", officer="Sam Sample", job="Employability Officer", phone="01632 960116",
    date="2012-02-10", priorities=("employment",), grade="planned", themes=("localisation", "business_sector"),
    title="Island employment pathways for young people",
    need=(
        "Young people on the outer isles who leave school without a job or college place have few local "
        "opportunities, and travel to training on the mainland of Shetland is costly."
    ),
    actions=(
        "Shetland Islands Council, Shetland College, Skills Development Scotland, Jobcentre Plus and local "
        "fishing and aquaculture businesses are designing a work experience and skills programme delivered on "
        "the islands, with travel costs met from a shared budget."
    ),
    evidence=(
        "The programme starts in August 2012 with 25 places. By March 2013 we expect at least 15 participants to "
        "move into jobs, apprenticeships or further training, and we will report positive school leaver "
        "destinations against the 2011 baseline."
    ),
    added_value=(
        "Local community planning on the isles brought employers and community councils into the design, so the "
        "programme matches real jobs in island businesses."
    ),
    next_steps="Agree the funding package by April 2012 and recruit the first cohort in June 2012.",
)

_case(
    key="perth_kinross_dementia", council="Perth and Kinross", cpp="Perth and Kinross Community Planning Partnership",
    domain="pkc.gov.uk", officer="Jo Example", job="Older People's Services Manager", phone="01632 960117",
    date="2012-05-16", priorities=("older_people",), grade="strong", themes=("prevention", "partnership", "voluntary_sector"),
    title="Dementia post-diagnostic support and carers' breaks",
    need=(
        "The number of people living with dementia in Perth and Kinross is rising, and carers told us they reach "
        "crisis point without support, leading to emergency admissions and early moves into care homes."
    ),
    actions=(
        "Perth and Kinross Council, NHS Tayside and Alzheimer Scotland introduced a link worker for every person "
        "newly diagnosed with dementia, and a flexible short breaks scheme for their carers."
    ),
    evidence=(
        "Emergency bed days for people aged 65+ with dementia fell from 21,300 in 2009/10 to 17,900 in 2011/12 "
        "(NHS Tayside). The share of people with dementia living at home rose from 61% to 68% over the same "
        "period. 92% of carers surveyed said the short breaks helped them to keep caring."
    ),
    added_value=(
        "The SOA brought the Change Fund partners to agree joint priorities; the voluntary sector now delivers "
        "post-diagnostic support funded jointly by the council and the health board."
    ),
    next_steps="Guarantee a year of post-diagnostic support for everyone diagnosed from April 2013.",
)

_case(
    key="east_ayrshire_town_centre", council="East Ayrshire", cpp="East Ayrshire Community Planning Partnership",
    domain="east-ayrshire.gov.uk", officer="Morgan Madeup", job="Regeneration Manager", phone="0141 496 0118",
    date="2010-06-29", priorities=("economic_growth",), grade="some", themes=("community_engagement", "business_sector"),
    title="Town centre regeneration in East Ayrshire",
    need=(
        "Town centres in East Ayrshire suffered from empty shops, derelict buildings and falling footfall after "
        "the loss of local industry."
    ),
    actions=(
        "East Ayrshire Council, Scottish Enterprise, Historic Scotland and local traders' associations delivered "
        "a townscape heritage and business investment scheme, restoring key buildings and offering grants to new "
        "businesses.\n"
        "Community councils and residents were consulted on the priorities for each town."
    ),
    evidence=(
        "Twelve historic buildings were repaired, 23 new businesses opened in the town centres and private "
        "investment of £1.8 million was attracted. Traders say the improved streets bring more visitors."
    ),
    added_value=(
        "The SOA focus on regeneration helped partners combine heritage, economic development and community "
        "funding into one programme for each town."
    ),
    next_steps="Complete the remaining building repairs by March 2011 and start a business survey of the town centres.",
)

_case(
    key="borders_youth_employment", council="Scottish Borders", cpp="Scottish Borders Community Planning Partnership",
    domain="scotborders.gov.uk", officer="Robin Placeholder", job="Employability Team Leader", phone="01632 960119",
    date="2011-05-03", priorities=("employment",), grade="strong", themes=("resources", "partnership"),
    title="Borders Works: getting young people into jobs",
    need=(
        "The number of young people in the Borders not in education, employment or training rose sharply during "
        "the recession, particularly in the textile towns."
    ),
    actions=(
        "Scottish Borders Council, Borders College, Skills Development Scotland and Jobcentre Plus pooled "
        "£450,000 to fund key workers, work placements and a “job ready” course for 16-24 year olds.\n"
        "Local employers offered placements and the council’s own services offered trainee posts."
    ),
    evidence=(
        "The proportion of school leavers in a positive destination rose from 84.5% in 2008/09 to 89.2% in "
        "2010/11 (Skills Development Scotland follow-up survey). 310 young people joined Borders Works and 174 "
        "moved into a job; claimant count unemployment for 18-24 year olds fell from 7.4% to 6.0% over two years."
    ),
    added_value=(
        "By pooling budgets through the SOA we avoided duplicate provision and saved around £60,000 a year in "
        "management and administration costs."
    ),
    next_steps="Keep the key worker service in 2012/13 and add an in-work mentoring strand by September 2012.",
)

_case(
    key="clackmannanshire_domestic_abuse", council="Clackmannanshire", cpp="Clackmannanshire Alliance",
    domain="clacks.gov.uk", officer="Casey Notreal", job="Violence Against Women Co-ordinator", phone="01632 960120",
    date="2011-10-12", priorities=("safer_communities",), grade="some", themes=("partnership", "voluntary_sector"),
    title="Multi-agency response to domestic abuse",
    need=(
        "Domestic abuse incidents reported to the police in Clackmannanshire are above the Scottish average, and "
        "women and children experiencing abuse were passed between services."
    ),
    actions=(
        "Central Scotland Police, Clackmannanshire Council, NHS Forth Valley and Women's Aid set up multi-agency "
        "risk assessment conferences (MARAC) for high-risk victims and an independent domestic abuse advocacy "
        "service."
    ),
    evidence=(
        "In its first year 96 high-risk cases were discussed at MARAC and 210 women received advocacy support. "
        "Women using the service said they felt safer and believed they were listened to."
    ),
    added_value=(
        "Through the Alliance the voluntary sector became a full partner in risk assessment, and information is "
        "now shared safely between police, health and social work."
    ),
    next_steps="Set up a programme for perpetrators with criminal justice social work in 2012.",
)

_case(
    key="falkirk_healthy_weight", council="Falkirk", cpp="Falkirk Community Planning Partnership",
    domain="falkirk.gov.uk", officer="Jamie Invented", job="Health Improvement Manager", phone="01632 960121",
    date="2012-01-24", priorities=("health_inequalities", "early_years"), grade="planned",
    themes=("prevention", "community_engagement"),
    title="Healthy weight for young children and families",
    need=(
        "Primary 1 body mass index figures show that more children in Falkirk's most deprived areas are "
        "overweight or obese than in other areas, and the gap is widening."
    ),
    actions=(
        "Falkirk Council, NHS Forth Valley and community food projects are developing a family healthy weight "
        "programme in nurseries and primary schools: cooking sessions, active play and support for parents."
    ),
    evidence=(
        "The programme will start in ten nurseries in August 2012. By March 2014 we aim to reduce the share of "
        "Primary 1 children at risk of overweight in these areas from the 2010/11 baseline, and we will report "
        "progress each year to the partnership board."
    ),
    added_value=(
        "The SOA's emphasis on prevention and tackling inequalities led partners to invest early, with parents "
        "helping to design the sessions."
    ),
    next_steps="Train nursery staff by June 2012 and start the first sessions in August 2012.",
)

_case(
    key="east_dunbartonshire_befriending", council="East Dunbartonshire", cpp="East Dunbartonshire Community Planning Partnership",
    domain="eastdunbarton.gov.uk", officer="Taylor Pretend", job="Community Development Worker", phone="0141 496 0122",
    date="2011-07-07", priorities=("older_people",), grade="some", themes=("voluntary_sector", "community_engagement"),
    title="Befriending and lunch clubs to reduce isolation among older people",
    need=(
        "Many older people in East Dunbartonshire live alone; consultation with older people's forums showed "
        "loneliness and isolation as a major concern, especially after bereavement."
    ),
    actions=(
        "East Dunbartonshire Council, NHS Greater Glasgow and Clyde and the Council for Voluntary Service "
        "trained volunteer befrienders and set up lunch clubs in six community venues, with door-to-door "
        "transport."
    ),
    evidence=(
        "120 older people now have a weekly befriender and the lunch clubs have 260 regular members. One member "
        "told us: 'Before the club I could go a week without speaking to anyone.' Volunteers report that "
        "members are more confident and active."
    ),
    added_value=(
        "The partnership brought the voluntary sector and older people's forums into planning services, and "
        "council venues were made available free of charge."
    ),
    next_steps="Recruit 40 more befrienders in 2011/12 and measure wellbeing with a simple questionnaire.",
)

_case(
    key="argyll_bute_tourism", council="Argyll and Bute", cpp="Argyll and Bute Community Planning Partnership",
    domain="argyll-bute.gov.uk", officer="Drew Imaginary", job="Economic Development Officer", phone="01632 960123",
    date="2011-11-08", priorities=("economic_growth",), grade="planned", themes=("business_sector", "localisation"),
    title="Marine tourism and pontoons for the islands",
    need=(
        "Island economies in Argyll and Bute depend on tourism, but visiting yachts had few places to berth and "
        "local businesses were missing out on visitor spending."
    ),
    actions=(
        "Argyll and Bute Council, Highlands and Islands Enterprise, local development trusts and harbour "
        "businesses are building a network of visitor pontoons and shore facilities on four islands."
    ),
    evidence=(
        "The pontoons will open for the 2012 season. We expect around 2,000 additional visiting boats a year by "
        "2013 and will count berthing nights and survey visitor spending from summer 2012."
    ),
    added_value=(
        "Local community planning groups on each island chose the sites, and the enterprise agency and council "
        "aligned their capital budgets through the SOA."
    ),
    next_steps="Complete construction by May 2012 and launch joint marketing with the tourism businesses.",
)

_case(
    key="midlothian_employability", council="Midlothian", cpp="Midlothian Community Planning Partnership",
    domain="midlothian.gov.uk", officer="Kim Dummy", job="Lifelong Learning and Employability Manager",
    phone="0131 496 0124", date="2011-12-01", priorities=("employment",), grade="strong",
    themes=("partnership", "performance"),
    title="Midlothian employability hub",
    need=(
        "Long-term unemployment in Midlothian rose by a third during the recession, and many jobseekers had "
        "health problems or low skills that made it hard to get back into work."
    ),
    actions=(
        "Midlothian Council, Jobcentre Plus, Edinburgh College and NHS Lothian opened an employability hub "
        "offering skills training, job search support, condition management and help from local employers."
    ),
    evidence=(
        "The number of working-age people claiming out of work benefits fell from 13.2% in May 2009 to 12.1% in "
        "May 2011 (DWP benefit statistics). The hub supported 890 people in two years, of whom 312 started work "
        "and 70% of those were still in work after six months."
    ),
    added_value=(
        "Co-location agreed through the SOA meant jobseekers see several agencies in one visit; performance "
        "data is reported jointly to the partnership."
    ),
    next_steps="Open a second hub in the south of the county by August 2012.",
)

_case(
    key="orkney_community_resilience", council="Orkney Islands", cpp="Orkney Community Planning Partnership",
    domain="orkney.gov.uk", officer="Lee Specimen", job="Community Planning Officer", phone="01632 960125",
    date="2012-03-13", priorities=("safer_communities",), grade="none", themes=("community_engagement",),
    title="Resilient island communities",
    need="Island communities need to be resilient and able to cope with emergencies such as severe weather.",
    actions=(
        "Orkney Islands Council, Northern Constabulary, Highlands and Islands Fire and Rescue and community "
        "councils worked together on community resilience."
    ),
    evidence=(
        "The work has strengthened our communities and they are now much better prepared. It is widely "
        "recognised as an example of good practice."
    ),
    added_value="The SOA process has added value by bringing everyone together.",
    next_steps="We will continue this important work.",
)

# Spreadsheet export (xlsx)
_case(
    key="aberdeenshire_breastfeeding", council="Aberdeenshire", cpp="Aberdeenshire Community Planning Partnership",
    domain="aberdeenshire.gov.uk", officer="Pat Fabricated", job="Health Improvement Officer", phone="01632 960126",
    date="2011-02-15", priorities=("early_years",), grade="strong", themes=("prevention", "voluntary_sector"),
    title="Breastfeeding peer support for new mothers",
    need="Breastfeeding rates at the 6-8 week review were low in our coastal towns, especially among young mothers.",
    actions=(
        "NHS Grampian midwives and health visitors, Aberdeenshire Council family centres and trained volunteer "
        "peer supporters offered support to mothers from pregnancy through the first weeks after birth."
    ),
    evidence=(
        "Exclusive breastfeeding at the 6-8 week review rose from 21% in 2008/09 to 29% in 2010/11 in the target "
        "towns (Child Health Surveillance data), compared with a rise from 30% to 31% in the rest of "
        "Aberdeenshire."
    ),
    added_value="The SOA early years outcome brought family centres and midwives together with volunteers.",
    next_steps="Train 30 more peer supporters and extend to two more towns by March 2012.",
)

_case(
    key="east_lothian_road_safety", council="East Lothian", cpp="East Lothian Partnership",
    domain="eastlothian.gov.uk", officer="Chris Mockup", job="Road Safety Officer", phone="0131 496 0127",
    date="2011-02-17", priorities=("safer_communities",), grade="strong", themes=("partnership", "business_processes"),
    title="Safer rural roads for young drivers",
    need="Young drivers were involved in a high share of serious road collisions on East Lothian's rural roads.",
    actions=(
        "East Lothian Council, Lothian and Borders Police and Lothian and Borders Fire and Rescue ran a pre-driver "
        "education programme in every secondary school and targeted speed enforcement on the worst routes."
    ),
    evidence=(
        "People killed or seriously injured on East Lothian roads fell from 64 in 2007 to 41 in 2010 (police "
        "collision data); casualties involving drivers aged 17-25 fell by 38% over the same period."
    ),
    added_value="Shared collision data agreed through the SOA let partners target enforcement and education together.",
    next_steps="Add a post-test driver course with local driving instructors in 2011/12.",
)

_case(
    key="eilean_siar_care_at_home", council="Na h-Eileanan Siar", cpp="Outer Hebrides Community Planning Partnership",
    domain="cne-siar.gov.uk", officer="Jordan Testcase", job="Community Care Manager", phone="01632 960128",
    date="2011-02-21", priorities=("older_people",), grade="some", themes=("localisation", "resources"),
    title="Care at home on the smaller islands",
    need="Older people on the smaller islands had to leave home for residential care because care at home was unavailable.",
    actions=(
        "Comhairle nan Eilean Siar, NHS Western Isles and community co-operatives recruited and trained local "
        "people as home carers on three islands, with support from the district nurses."
    ),
    evidence=(
        "Twenty-two older people now receive care at home on the three islands and 14 local carers were "
        "recruited. Families told us their relatives could stay in their own community."
    ),
    added_value="Community co-operatives became care providers, using local people and buildings.",
    next_steps="Extend the model to one more island in 2012.",
)

_case(
    key="south_lanarkshire_jobs_fund", council="South Lanarkshire", cpp="South Lanarkshire Partnership",
    domain="southlanarkshire.gov.uk", officer="Alex Fictional", job="Employability Manager", phone="0141 496 0129",
    date="2011-02-24", priorities=("employment",), grade="some", themes=("partnership", "business_sector"),
    title="Future jobs for young people",
    need="Youth unemployment in South Lanarkshire rose above 10% in 2009.",
    actions=(
        "South Lanarkshire Council, Jobcentre Plus, South Lanarkshire College and voluntary organisations "
        "created six-month paid jobs for young unemployed people, with training and job search support."
    ),
    evidence=(
        "520 young people took up a paid job, and 280 moved on to further employment or training. Employers "
        "rated most participants as work ready."
    ),
    added_value="The partnership let us match employers with the college and the voluntary sector quickly.",
    next_steps="Continue paid work placements in 2011/12 with council and partner funding.",
)

_case(
    key="west_dunbartonshire_mental_wellbeing", council="West Dunbartonshire",
    cpp="West Dunbartonshire Community Planning Partnership", domain="west-dunbarton.gov.uk",
    officer="Sam Sample", job="Health Improvement Lead", phone="0141 496 0130", date="2011-02-28",
    priorities=("health_inequalities",), grade="planned", themes=("prevention", "community_engagement"),
    title="Community mental wellbeing programme",
    need="Prescribing of antidepressants and rates of mental ill health are highest in the most deprived areas.",
    actions=(
        "West Dunbartonshire Council, NHS Greater Glasgow and Clyde and community groups are setting up stress "
        "control classes, green gym sessions and peer support groups in local venues."
    ),
    evidence=(
        "The programme starts in April 2011. By March 2012 we aim to reach 600 adults and will measure mental "
        "wellbeing with the Warwick-Edinburgh scale at the start and end of each course."
    ),
    added_value="Community groups helped plan the programme and host the sessions.",
    next_steps="Launch in April 2011 and report results by June 2012.",
)

# Spreadsheet export (csv)
_case(
    key="east_renfrewshire_nurture", council="East Renfrewshire", cpp="East Renfrewshire Community Planning Partnership",
    domain="eastrenfrewshire.gov.uk", officer="Morgan Madeup", job="Family Centre Manager", phone="0141 496 0131",
    date="2012-03-05", priorities=("early_years",), grade="some", themes=("prevention", "partnership"),
    title="Nurture groups for young children and their parents",
    need="Nursery staff identified children aged three to five with emotional and behavioural needs.",
    actions=(
        "East Renfrewshire Council nurseries, NHS educational psychology and a family support charity ran nurture "
        "groups in four nurseries with parenting sessions."
    ),
    evidence=(
        "Forty children attended nurture groups and 35 parents completed the parenting sessions. Staff observed "
        "better concentration and fewer exclusions from nursery."
    ),
    added_value="Joint planning through the SOA let partners share staff time rather than buying in services.",
    next_steps="Extend nurture groups to two primary schools by August 2012.",
)

_case(
    key="highland_fire_safety", council="Highland", cpp="Highland Community Planning Partnership",
    domain="highland.gov.uk", officer="Jamie Invented", job="Community Safety Officer", phone="01632 960132",
    date="2012-03-07", priorities=("safer_communities",), grade="some", themes=("partnership",),
    title="Rural home fire safety partnership",
    need="Dwelling fires in remote Highland homes take longer to reach, so prevention matters more.",
    actions=(
        "Highlands and Islands Fire and Rescue, The Highland Council and Northern Constabulary carried out joint "
        "home safety visits and fitted smoke alarms in remote homes."
    ),
    evidence="Over 2,100 home fire safety visits were made and 1,650 smoke alarms fitted in 2011.",
    added_value="Police and council staff now refer households for visits during their own work.",
    next_steps="Target homes heated by open fires and stoves in 2012/13.",
)

_case(
    key="edinburgh_hospital_discharge", council="City of Edinburgh", cpp="Edinburgh Partnership",
    domain="edinburgh.gov.uk", officer="Taylor Pretend", job="Health and Social Care Planning Manager",
    phone="0131 496 0133", date="2012-03-09", priorities=("older_people",), grade="strong",
    themes=("business_processes", "performance"),
    title="Faster discharge from hospital for older people",
    need="Too many older people in Edinburgh waited in hospital for a care package after they were ready to go home.",
    actions=(
        "The City of Edinburgh Council and NHS Lothian set up a joint discharge team and an interim care service "
        "with private and voluntary care providers."
    ),
    evidence=(
        "Delayed discharges of people aged 65+ waiting more than four weeks fell from 83 in April 2010 to 19 in "
        "April 2012 (ISD census), and bed days lost to delays fell by 44%."
    ),
    added_value="Shared performance data and a joint team changed how health and social care plan discharges.",
    next_steps="Meet the two-week delayed discharge standard by April 2013.",
)

_case(
    key="dundee_healthy_living", council="Dundee City", cpp="Dundee Partnership", domain="dundeecity.gov.uk",
    officer="Drew Imaginary", job="Community Health Co-ordinator", phone="01632 960134", date="2012-03-12",
    priorities=("health_inequalities",), grade="some", themes=("community_engagement", "voluntary_sector"),
    title="Community cooking and walking groups in Dundee's regeneration areas",
    need=(
        "Healthy life expectancy in Dundee's most deprived neighbourhoods is more than ten years lower than in "
        "its least deprived, and residents said they wanted local, low-cost ways to eat well and keep active."
    ),
    actions=(
        "Dundee City Council community learning staff, NHS Tayside health improvement staff and local "
        "community food co-operatives ran cooking courses and led health walks in four regeneration areas."
    ),
    evidence=(
        "In 2011, 18 cooking courses and 30 walking groups ran with 640 participants; 220 people completed a "
        "course. Participants told us they cook from scratch more often and feel better for walking each week."
    ),
    added_value=(
        "Local community planning groups chose the venues and the food co-operatives delivered the courses, "
        "so the work reached people who do not use health services."
    ),
    next_steps="Train 20 residents as volunteer walk leaders by December 2012.",
)

_case(
    key="angus_carers", council="Angus", cpp="Angus Community Planning Partnership", domain="angus.gov.uk",
    officer="Jordan Testcase", job="Carers Development Officer", phone="01632 960137", date="2012-03-14",
    priorities=("older_people",), grade="some", themes=("voluntary_sector", "prevention"),
    title="Support for carers of older people in Angus",
    need=(
        "Many older people in Angus are cared for by a husband, wife or adult child who is older themselves, and "
        "carers told us they did not know where to turn before they reached crisis point."
    ),
    actions=(
        "Angus Council social work, NHS Tayside and the Angus Carers Centre set up carer support workers in each "
        "GP practice area, offering carers' assessments, emergency planning and short breaks."
    ),
    evidence=(
        "In 2011, 380 carers of older people had a carer's assessment and 150 used short breaks. In a survey of "
        "120 carers, 84% said they felt better able to continue caring."
    ),
    added_value="The SOA let the carers centre bid jointly with the council and NHS for Change Fund money.",
    next_steps="Offer every carer of a person with dementia an emergency plan by March 2013.",
)

_case(
    key="fife_community_payback", council="Fife", cpp="Fife Partnership", domain="fife.gov.uk",
    officer="Chris Mockup", job="Criminal Justice Service Manager", phone="01632 960138", date="2012-04-19",
    priorities=("safer_communities", "employment"), grade="some", themes=("community_engagement", "partnership"),
    title="Community payback that leads to work",
    need=(
        "Reoffending among young adults in Fife is high, and most people on unpaid work orders are unemployed and "
        "have no qualifications, which makes it harder for them to stop offending."
    ),
    actions=(
        "Fife Council criminal justice social work, Fife Constabulary, Fife College and Jobcentre Plus linked "
        "community payback orders to employability support: unpaid work teams gain construction skills "
        "certificates while repairing community facilities chosen by local residents.\n"
        "Community councils nominate the projects, and a job coach meets each person before their order ends."
    ),
    evidence=(
        "In 2011/12, 260 people on community payback orders took part, 140 gained a construction skills "
        "certificate and 38 moved into paid work or college. Community councils nominated 45 projects and "
        "residents rated the finished work highly."
    ),
    added_value=(
        "Through the SOA, justice and employability services share one outcome on reducing reoffending, and "
        "communities now have a say in what unpaid work is done."
    ),
    next_steps="Measure one-year reconviction rates for participants with the Scottish Government from 2013.",
)

# E-mail attachment, mini duplicate, broken-file source
_case(
    key="north_ayrshire_annual_report", council="North Ayrshire", cpp="North Ayrshire Community Planning Partnership",
    domain="north-ayrshire.gov.uk", officer="Kim Dummy", job="Policy and Performance Officer", phone="0141 496 0135",
    date="2011-09-30", priorities=("employment", "economic_growth", "older_people"), grade="strong",
    themes=("partnership", "performance"),
    title="North Ayrshire Community Planning Partnership: Single Outcome Agreement Annual Report 2010/11",
    need="", actions="", evidence="", added_value="", next_steps="",
)

ANNUAL_REPORT = {
    "achievements": (
        "Our employability pathway helped 640 unemployed residents into work in 2010/11, and the business "
        "development programme with Scottish Enterprise and Irvine Bay Regeneration Company supported 85 new "
        "business start-ups.\n"
        "The reablement service for older people began in all localities; 62% of people completing reablement "
        "needed less home care afterwards."
    ),
    "challenges": (
        "Reductions in public sector budgets from 2011/12 will put pressure on every partner. Youth unemployment "
        "remains high, and demand for care at home will grow as the number of people aged 85+ rises."
    ),
    "support": (
        "We ask the Scottish Government to simplify reporting on the Change Fund for older people, and we need "
        "access to local employment data from the Department for Work and Pensions at data zone level."
    ),
    "outcomes": (
        (
            "Local Outcome 1 - More people in North Ayrshire are in work",
            "The employment rate rose from 63.1% in 2009 to 64.0% in 2010 (Annual Population Survey).",
            "Residents who found work through the pathway report higher income and confidence.",
        ),
        (
            "Local Outcome 2 - North Ayrshire has a growing business base",
            "85 business start-ups were supported; business survival after three years was 71%.",
            "New firms in the town centres have created local jobs and services.",
        ),
        (
            "Local Outcome 5 - Older people live independently at home",
            "Emergency admissions of people aged 65+ were stable at 265 per 1,000 in 2009/10 and 2010/11.",
            "More older people can return home after an illness with support from reablement.",
        ),
    ),
}

_case(
    key="truncated_upload", council="Moray", cpp="Moray Community Planning Partnership", domain="moray.gov.uk",
    officer="Pat Fabricated", job="Community Planning Officer", phone="01632 960136", date="2011-04-11",
    priorities=(), grade="none", themes=(),
    title="Upload that failed part-way",
    need="This file is cut off after 600 bytes, so it cannot be read.",
    actions="", evidence="", added_value="", next_steps="",
)


# ---------------------------------------------------------------------------------------------
# Deterministic writers
# ---------------------------------------------------------------------------------------------
ZIP_DATE = (2012, 6, 1, 0, 0, 0)


def _normalise_zip(data: bytes, fix: dict[str, callable] | None = None) -> bytes:
    """Rewrite a zip with fixed member dates (and optionally patched members), keeping order."""
    fix = fix or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename in fix:
                blob = fix[info.filename](blob)
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, blob)
    return out.getvalue()


def _docx_new(case: Case, title: str):
    import docx

    d = docx.Document()
    cp = d.core_properties
    when = case.when()
    cp.title = title
    cp.author = case.officer
    cp.last_modified_by = case.officer
    cp.comments = DISCLAIMER
    cp.subject = "Single Outcome Agreement case study (fictional sample)"
    cp.keywords = "SOA; fictional sample"
    cp.category = ""
    cp.revision = 1
    cp.created = when
    cp.modified = when
    cp.last_printed = when
    return d


def _docx_bytes(d) -> bytes:
    buf = io.BytesIO()
    d.save(buf)
    return _normalise_zip(buf.getvalue())


def _add_paras(container, text: str, style: str | None = None):
    """Add the "\\n"-separated paragraphs of ``text`` to a document or table cell."""
    for i, para in enumerate(text.split("\n")):
        if hasattr(container, "paragraphs") and i == 0 and _cell_is_empty(container):
            p = container.paragraphs[0]
            p.text = para
            if style:
                p.style = style
        else:
            container.add_paragraph(para, style=style)


def _cell_is_empty(container) -> bool:
    from docx.table import _Cell

    return isinstance(container, _Cell) and len(container.paragraphs) == 1 and not container.paragraphs[0].text


def _footer(d, text: str = DISCLAIMER) -> None:
    d.sections[0].footer.paragraphs[0].text = text


def docx_table_2009(case: Case, variant: str = "plain") -> bytes:
    """The 2009 template as a two-column Word table.

    variant: plain; split (the actions answer continues in a second row with an empty question
    cell); merged (a merged banner row across both columns and a question cell merged down two
    answer rows); bullets (the actions answer as a bulleted list).
    """
    d = _docx_new(case, f"SOA case study: {case.title}")
    d.add_paragraph(f"Single Outcome Agreement good practice case study {FICTIONAL_MARK}", style="Title")
    d.add_paragraph(f"Community Planning Partnership: {case.cpp}")
    t = d.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    if variant == "merged":
        row = t.add_row()
        banner = row.cells[0].merge(row.cells[1])
        banner.text = f"{case.cpp} - SOA case study 2009"
    for key in SECTIONS + ("contact",):
        text = case.section(key)
        q = Q_2009[key]
        if key == "actions" and variant in ("split", "merged"):
            first, _, rest = text.partition("\n")
            r1, r2 = t.add_row(), t.add_row()
            r1.cells[0].text = q
            _add_paras(r1.cells[1], first)
            _add_paras(r2.cells[1], rest)
            if variant == "merged":
                r1.cells[0].merge(r2.cells[0])
            continue
        row = t.add_row()
        row.cells[0].text = q
        if key == "actions" and variant == "bullets":
            intro, *items = text.split("\n")
            _add_paras(row.cells[1], intro)
            for item in _bullet_items(items):
                row.cells[1].add_paragraph(item, style="List Bullet")
        else:
            _add_paras(row.cells[1], text)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


def _bullet_items(paras: list[str]) -> list[str]:
    """Split "Actions included: a; b; c." into list items."""
    items = []
    for p in paras:
        head, sep, tail = p.partition(": ")
        if sep and ";" in tail:
            items.append(head + ":")
            items.extend(s.strip().rstrip(".") for s in tail.split(";"))
        else:
            items.append(p)
    return items


def docx_headings(case: Case, variant: str = "styled") -> bytes:
    """Answers pasted under headings: styled Heading 2, bold paragraphs, or abbreviated headings."""
    labels = Q_ABBREV if variant == "abbrev" else Q_2009
    d = _docx_new(case, case.title)
    d.add_paragraph(f"{case.title} {FICTIONAL_MARK}", style="Title")
    for key in SECTIONS[1:] + ("contact",):
        label = labels[key]
        if variant == "bold":
            d.add_paragraph().add_run(label).bold = True
        else:
            d.add_heading(label, level=2)
        _add_paras(d, case.contact if key == "contact" else case.section(key))
    d.add_paragraph(DISCLAIMER)
    return _docx_bytes(d)


def plain_text(case: Case, labels: dict = Q_2009) -> str:
    """The same content as :func:`docx_headings` (styled), as plain text: identical words, so a
    re-submission in another format is a true duplicate."""
    lines = [f"{case.title} {FICTIONAL_MARK}", ""]
    for key in SECTIONS[1:] + ("contact",):
        lines += [labels[key], ""]
        for para in (case.contact if key == "contact" else case.section(key)).split("\n"):
            lines += [para, ""]
    lines.append(DISCLAIMER)
    return "\n".join(lines) + "\n"


def _checkbox_sdt(checked: bool):
    """A Word 2010 checkbox content control (w14:checkbox) showing ☒ or ☐."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    sdt = OxmlElement("w:sdt")
    pr = OxmlElement("w:sdtPr")
    box = OxmlElement("w14:checkbox")
    state = OxmlElement("w14:checked")
    state.set(qn("w14:val"), "1" if checked else "0")
    on = OxmlElement("w14:checkedState")
    on.set(qn("w14:val"), "2612")
    on.set(qn("w14:font"), "MS Gothic")
    off = OxmlElement("w14:uncheckedState")
    off.set(qn("w14:val"), "2610")
    off.set(qn("w14:font"), "MS Gothic")
    box.extend([state, on, off])
    pr.append(box)
    content = OxmlElement("w:sdtContent")
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attr in ("w:ascii", "w:eastAsia", "w:hAnsi"):
        fonts.set(qn(attr), "MS Gothic")
    rpr.append(fonts)
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = "\u2612" if checked else "\u2610"
    run.append(t)
    content.append(run)
    sdt.extend([pr, content])
    return sdt


def description_2010(case: Case) -> str:
    """The 2010 form's 'Description of activity': what was done, results, SOA added value, next steps."""
    return "\n".join(
        [
            case.need,
            case.actions,
            "Results: " + case.evidence,
            "What the SOA approach added: " + case.added_value,
            "Next steps: " + case.next_steps,
        ]
    )


def docx_2010(case: Case, ticks: str = "sdt") -> bytes:
    """The 2010 template with its checklist: real checkbox controls (sdt) or ☒/☐ characters (chars)."""
    d = _docx_new(case, f"SOA case study 2010: {case.title}")
    d.add_paragraph(f"Template for SOA case studies 2010 {FICTIONAL_MARK}", style="Title")
    t = d.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for q, a in (
        ("Name of CPP", case.cpp),
        ("Name of case study", case.title),
        ("Brief outline of case study", case.outline),
    ):
        row = t.add_row()
        row.cells[0].text, row.cells[1].text = q, a
    d.add_paragraph(CHECKLIST_INTRO)
    if ticks == "sdt":
        ct = d.add_table(rows=0, cols=2)
        ct.style = "Table Grid"
        for item_id, label in CHECKLIST_2010:
            row = ct.add_row()
            row.cells[0].text = label
            row.cells[1].paragraphs[0]._p.append(_checkbox_sdt(item_id in case.ticked))
    else:
        for item_id, label in CHECKLIST_2010:
            mark = "\u2612" if item_id in case.ticked else "\u2610"
            d.add_paragraph(f"{mark} {label}")
    t2 = d.add_table(rows=0, cols=2)
    t2.style = "Table Grid"
    for q, a in (
        ("Contact details of lead officer", case.contact),
        ("SOA outcome/s and National Outcome/s supported", "\n".join(case.outcomes)),
        ("Partners involved", case.partners),
        ("Description of activity", description_2010(case)),
    ):
        row = t2.add_row()
        row.cells[0].text = q
        _add_paras(row.cells[1], a)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


def docx_annual_report(case: Case) -> bytes:
    d = _docx_new(case, case.title)
    d.add_paragraph(f"{case.title} {FICTIONAL_MARK}", style="Title")
    d.add_paragraph(
        f"This report sets out the progress made by the {case.cpp} in 2010/11 against the local outcomes in our "
        "Single Outcome Agreement."
    )
    for heading, key in (
        ("Achievements and particular successes to date", "achievements"),
        ("Anticipated challenges for future years", "challenges"),
        ("Support or actions required", "support"),
    ):
        d.add_heading(heading, level=1)
        _add_paras(d, ANNUAL_REPORT[key])
    d.add_heading("Benefits and changes in outcome terms to people's quality of life", level=1)
    t = d.add_table(rows=1, cols=3)
    t.style = "Table Grid"
    for cell, text in zip(t.rows[0].cells, ("Local outcome", "Progress", "Benefits to quality of life")):
        cell.text = text
    for outcome in ANNUAL_REPORT["outcomes"]:
        row = t.add_row()
        for cell, text in zip(row.cells, outcome):
            cell.text = text
    d.add_heading("Contact", level=1)
    d.add_paragraph(case.contact)
    d.add_paragraph(DISCLAIMER)
    _footer(d)
    return _docx_bytes(d)


# ---- PDF ------------------------------------------------------------------------------------


def _pdf(case: Case, story_fn) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(20 * mm, 10 * mm, DISCLAIMER)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf, pagesize=A4, invariant=1, title=f"{case.title} {FICTIONAL_MARK}", author=case.officer,
        subject="SOA case study (fictional sample)", creator="soa-analysis sample generator",
        leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm, bottomMargin=20 * mm,
    )
    doc.build(story_fn(), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _styles():
    from reportlab.lib.styles import getSampleStyleSheet

    return getSampleStyleSheet()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf_headings(case: Case) -> bytes:
    """Headings as bold paragraphs (no PDF structure), body paragraphs below."""
    from reportlab.platypus import Paragraph, Spacer

    ss = _styles()

    def story():
        s = [Paragraph(_esc(f"{case.title} {FICTIONAL_MARK}"), ss["Title"]),
             Paragraph(_esc(f"SOA case study - {case.cpp}"), ss["Normal"]), Spacer(1, 8)]
        for key in SECTIONS[1:] + ("contact",):
            s.append(Paragraph("<b>" + _esc(Q_2009[key]) + "</b>", ss["Normal"]))
            s.append(Spacer(1, 3))
            for para in (case.contact if key == "contact" else case.section(key)).split("\n"):
                s.append(Paragraph(_esc(para), ss["Normal"]))
                s.append(Spacer(1, 3))
            s.append(Spacer(1, 6))
        s.append(Paragraph(_esc(DISCLAIMER), ss["Italic"]))
        return s

    return _pdf(case, story)


def pdf_table(case: Case) -> bytes:
    """The 2009 form as a two-column table."""
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

    ss = _styles()

    def story():
        rows = []
        for key in SECTIONS + ("contact",):
            text = case.contact if key == "contact" else case.section(key)
            rows.append([Paragraph("<b>" + _esc(Q_2009[key]) + "</b>", ss["Normal"]),
                         [Paragraph(_esc(p), ss["Normal"]) for p in text.split("\n")]])
        table = Table(rows, colWidths=[55 * mm, 115 * mm])
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e8eef4")),
        ]))
        return [Paragraph(_esc(f"SOA good practice case study {FICTIONAL_MARK}"), ss["Title"]),
                Paragraph(_esc(case.cpp), ss["Heading2"]), Spacer(1, 6), table, Spacer(1, 8),
                Paragraph(_esc(DISCLAIMER), ss["Italic"])]

    return _pdf(case, story)


# ---- text formats ---------------------------------------------------------------------------


def markdown(case: Case) -> str:
    lines = [f"# {case.title} {FICTIONAL_MARK}", "", f"*{case.cpp} - Single Outcome Agreement case study*", ""]
    for key in SECTIONS[1:] + ("contact",):
        lines += [f"## {Q_2009[key]}", ""]
        text = case.contact if key == "contact" else case.section(key)
        for para in text.split("\n"):
            lines += [para, ""]
    lines += ["---", "", f"_{DISCLAIMER}_"]
    return "\n".join(lines) + "\n"


def _h(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def html_page(case: Case) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(case.title)} {FICTIONAL_MARK}</title>",
        "<style>body { font-family: Arial, sans-serif; max-width: 46em; } h2 { color: #1d4f7a; }</style>",
        "<script>",
        "  // Page analytics placeholder: this script text must never be ingested as narrative.",
        "  var scriptMarker = 'SCRIPT TEXT MUST NOT APPEAR IN THE NARRATIVE';",
        "  document.addEventListener('DOMContentLoaded', function () { console.log(scriptMarker); });",
        "</script>",
        "</head>",
        "<body>",
        f"<h1>{_h(case.title)} {FICTIONAL_MARK}</h1>",
        f"<p class=\"cpp\">{_h(case.cpp)} &ndash; Single Outcome Agreement case study</p>",
    ]
    for key in SECTIONS[1:] + ("contact",):
        parts.append(f"<h2>{_h(Q_2009[key])}</h2>")
        text = case.contact if key == "contact" else case.section(key)
        parts += [f"<p>{_h(p)}</p>" for p in text.split("\n")]
    parts += [f"<footer><p>{_h(DISCLAIMER)}</p></footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            try:
                out.append("\\'%02x" % ch.encode("cp1252")[0])
            except UnicodeEncodeError:
                out.append("\\u%d?" % ord(ch))
    return "".join(out)


def rtf(case: Case) -> str:
    lines = [
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}",
        r"{\info{\title " + _rtf_escape(case.title) + r"}{\author " + _rtf_escape(case.officer) + "}}",
        r"\f0\fs22",
        r"{\b\fs28 " + _rtf_escape(f"{case.title} {FICTIONAL_MARK}") + r"}\par\par",
    ]
    for key in SECTIONS[1:] + ("contact",):
        lines.append(r"{\b " + _rtf_escape(Q_2009[key]) + r"}\par")
        text = case.contact if key == "contact" else case.section(key)
        for para in text.split("\n"):
            lines.append(_rtf_escape(para) + r"\par")
        lines.append(r"\par")
    lines.append(r"{\i " + _rtf_escape(DISCLAIMER) + r"}\par")
    lines.append("}")
    return "\r\n".join(lines) + "\r\n"


def _email(case: Case, subject: str, body: str, msg_id: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"{case.officer} <{case.email}>"
    msg["To"] = "SOA case studies <soa.casestudies@example.org>"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(case.when().replace(tzinfo=dt.timezone.utc))
    msg["Message-ID"] = f"<{msg_id}@fictional.example.org>"
    msg.set_content(body)
    return msg


def eml_body(case: Case) -> bytes:
    body = (
        f"{case.title} {FICTIONAL_MARK}\n\n"
        "Dear colleague,\n\n"
        f"Please find below our SOA case study from the {case.cpp}. We did not have the Word form to hand, "
        "so the answers are pasted into this e-mail.\n\n"
        + plain_text(case).split("\n", 2)[2]
        + "\nKind regards,\n"
        + f"{case.officer}\n"
    )
    # the disclaimer must be the last line
    body = body.replace(DISCLAIMER + "\n", "") + DISCLAIMER + "\n"
    msg = _email(case, f"SOA case study: {case.title} {FICTIONAL_MARK}", body, f"sample-{case.key}")
    return msg.as_bytes()


def eml_attachment(case: Case, attachment_name: str, attachment: bytes) -> bytes:
    body = (
        f"SOA case study submission {FICTIONAL_MARK}\n\n"
        "Hello,\n\n"
        f"Please find attached the {case.council} SOA case study on the standard form. "
        "Do get in touch if you need anything else.\n\n"
        f"Regards,\n{case.officer}\n{case.job}\n\n"
        f"{DISCLAIMER}\n"
    )
    msg = _email(case, f"SOA case study from {case.council} {FICTIONAL_MARK}", body, f"sample-{case.key}")
    msg.add_attachment(
        attachment, maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename=attachment_name,
    )
    msg.set_boundary("==fictional-sample-boundary-0001==")
    return msg.as_bytes()


# ---- spreadsheet exports --------------------------------------------------------------------


def _form_row(case: Case) -> list[str]:
    stamp = case.when().strftime("%d/%m/%Y %H:%M:%S")
    return [
        stamp, case.cpp, f"{case.title} {FICTIONAL_MARK}", case.need, case.actions.replace("\n", " "),
        case.evidence, case.added_value, case.next_steps, case.contact, DISCLAIMER,
    ]


def form_csv(cases: list[Case]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FORM_HEADERS)
    for c in cases:
        w.writerow(_form_row(c))
    return buf.getvalue().encode("utf-8")


def form_xlsx(cases: list[Case]) -> bytes:
    from openpyxl import Workbook

    when = max(c.when() for c in cases)
    wb = Workbook()
    ws = wb.active
    ws.title = "Form responses 1"
    ws.append(list(FORM_HEADERS))
    for c in cases:
        ws.append(_form_row(c))
    wb.properties.creator = "Online form export (fictional sample)"
    wb.properties.title = f"SOA case study form responses {FICTIONAL_MARK}"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def fix_core(xml: bytes) -> bytes:  # openpyxl stamps "modified" with the time of saving
        return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + stamp + rb"\g<2>", xml)

    return _normalise_zip(buf.getvalue(), {"docProps/core.xml": fix_core})


# ---- broken files ---------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A tiny valid PNG (what a scanner saved), to be given a .pdf name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes([200, 60, 200, 60]) for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"Comment\x00" + f"{FICTIONAL_MARK} {DISCLAIMER}".encode("latin-1"))
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------------
# The corpus plan
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One file to write, and the submissions it is expected to yield."""

    file: str
    data: bytes
    submission_type: str = ""
    fmt: str = ""
    status: str = "ingested"
    cases: list[tuple[str, str]] = field(default_factory=list)  # (part, case key)
    duplicate_of: str = ""
    note: str = ""


def _utf8(s: str) -> bytes:
    return s.encode("utf-8")


def main_plan() -> list[Entry]:
    C = CASES
    E = Entry
    midlothian_docx = docx_table_2009(C["midlothian_employability"])
    plan = [
        E("fife_home_first_reablement.docx", docx_table_2009(C["fife_reablement"]), "case_study_2009", "docx",
          cases=[("", "fife_reablement")], note="2009 form table"),
        E("dundee_works_pathway.docx", docx_table_2009(C["dundee_employability"], "split"), "case_study_2009", "docx",
          cases=[("", "dundee_employability")], note="2009 form table; Q3 answer continues in a second row"),
        E("highland_early_learning_outreach.docx", docx_table_2009(C["highland_nursery_outreach"], "merged"),
          "case_study_2009", "docx", cases=[("", "highland_nursery_outreach")],
          note="2009 form table with a merged banner row and a question cell merged over two rows"),
        E("north_lanarkshire_community_safety.docx", docx_table_2009(C["north_lanarkshire_asb"], "bullets"),
          "case_study_2009", "docx", cases=[("", "north_lanarkshire_asb")], note="2009 form table; bulleted answer"),
        E("angus_town_centres.docx", docx_table_2009(C["angus_town_centres"]), "case_study_2009", "docx",
          cases=[("", "angus_town_centres")], note="2009 form table; two priorities"),
        E("moray_steady_steps.docx", docx_table_2009(C["moray_falls"]), "case_study_2009", "docx",
          cases=[("", "moray_falls")], note="2009 form table; two priorities"),
        E("edinburgh_active_lives.docx", docx_headings(C["edinburgh_active_lives"]), "case_study_2009", "docx",
          cases=[("", "edinburgh_active_lives")], note="answers under Heading 2 headings"),
        E("renfrewshire_family_support.docx", docx_headings(C["renfrewshire_family_support"]), "case_study_2009",
          "docx", cases=[("", "renfrewshire_family_support")], note="answers under Heading 2 headings"),
        E("renfrewshire_family_support_resubmitted.txt", _utf8(plain_text(C["renfrewshire_family_support"])),
          "case_study_2009", "txt", status="duplicate", cases=[("", "renfrewshire_family_support")],
          duplicate_of="renfrewshire_family_support.docx",
          note="the same case study sent again as plain text: same words, other name and format"),
        E("south_ayrshire_safe_at_home.docx", docx_headings(C["south_ayrshire_home_fire_safety"], "bold"),
          "case_study_2009", "docx", cases=[("", "south_ayrshire_home_fire_safety")],
          note="headings are bold paragraphs, not styles"),
        E("fife_community_payback.docx", docx_headings(C["fife_community_payback"]), "case_study_2009", "docx",
          cases=[("", "fife_community_payback")], note="answers under Heading 2 headings; two priorities"),
        E("stirling_business_support.docx", docx_headings(C["stirling_business_support"], "abbrev"),
          "case_study_2009", "docx", cases=[("", "stirling_business_support")],
          note="abbreviated headings (Q4 - Evidence of benefit); assertion only"),
        E("glasgow_alcohol_brief_interventions_2010.docx", docx_2010(C["glasgow_alcohol_brief_interventions"]),
          "case_study_2010", "docx", cases=[("", "glasgow_alcohol_brief_interventions")],
          note="2010 template; w14:checkbox content controls"),
        E("west_lothian_apprenticeships_2010.docx", docx_2010(C["west_lothian_apprenticeships"]),
          "case_study_2010", "docx", cases=[("", "west_lothian_apprenticeships")],
          note="2010 template; w14:checkbox content controls"),
        E("inverclyde_bookbug_2010.docx", docx_2010(C["inverclyde_early_years"], "chars"), "case_study_2010", "docx",
          cases=[("", "inverclyde_early_years")], note="2010 template; ticks as U+2612/U+2610 characters"),
        E("dumfries_galloway_telecare_2010.docx", docx_2010(C["dumfries_telecare"], "chars"), "case_study_2010",
          "docx", cases=[("", "dumfries_telecare")], note="2010 template; ticks as U+2612/U+2610 characters"),
        E("aberdeen_youth_diversion.pdf", pdf_headings(C["aberdeen_youth_diversion"]), "case_study_2009", "pdf",
          cases=[("", "aberdeen_youth_diversion")], note="PDF; headings are bold paragraphs"),
        E("shetland_island_pathways.pdf", pdf_table(C["shetland_employment_pathways"]), "case_study_2009", "pdf",
          cases=[("", "shetland_employment_pathways")], note="PDF; the form as a table"),
        E("perth_kinross_dementia_support.pdf", pdf_headings(C["perth_kinross_dementia"]), "case_study_2009", "pdf",
          cases=[("", "perth_kinross_dementia")], note="PDF; headings are bold paragraphs"),
        E("east_ayrshire_town_centre.txt", _utf8(plain_text(C["east_ayrshire_town_centre"])), "case_study_2009",
          "txt", cases=[("", "east_ayrshire_town_centre")], note="plain text, UTF-8 with a £ sign"),
        E("borders_works_youth_employment.txt", plain_text(C["borders_youth_employment"]).replace("\n", "\r\n")
          .encode("cp1252"), "case_study_2009", "txt", cases=[("", "borders_youth_employment")],
          note="plain text, Windows-1252 with £ and smart quotes, CRLF line ends"),
        E("clackmannanshire_domestic_abuse.txt", plain_text(C["clackmannanshire_domestic_abuse"]).encode("utf-8-sig"),
          "case_study_2009", "txt", cases=[("", "clackmannanshire_domestic_abuse")], note="plain text, UTF-8 with a BOM"),
        E("falkirk_healthy_weight.md", _utf8(markdown(C["falkirk_healthy_weight"])), "case_study_2009", "md",
          cases=[("", "falkirk_healthy_weight")], note="Markdown; two priorities; benefits still to come"),
        E("east_dunbartonshire_befriending.html", _utf8(html_page(C["east_dunbartonshire_befriending"])),
          "case_study_2009", "html", cases=[("", "east_dunbartonshire_befriending")],
          note="HTML with a <style> and a <script> whose text must be dropped"),
        E("argyll_bute_marine_tourism.eml", eml_body(C["argyll_bute_tourism"]), "case_study_2009", "eml",
          cases=[("body", "argyll_bute_tourism")], note="e-mail; the case study is in the body"),
        E("midlothian_submission.eml", eml_attachment(C["midlothian_employability"],
          "midlothian_employability_hub.docx", midlothian_docx), "case_study_2009", "eml",
          cases=[("attachment: midlothian_employability_hub.docx", "midlothian_employability")],
          note="e-mail; short covering note in the body (not a case study), the case study attached as .docx"),
        E("orkney_resilient_communities.rtf", rtf(C["orkney_community_resilience"]).encode("ascii"),
          "case_study_2009", "rtf", cases=[("", "orkney_community_resilience")], note="RTF; assertion only"),
        E("north_ayrshire_soa_annual_report_2010-11.docx", docx_annual_report(C["north_ayrshire_annual_report"]),
          "annual_report", "docx", cases=[("", "north_ayrshire_annual_report")], note="annual SOA report"),
        E("online_form_export_2011.xlsx", form_xlsx([C[k] for k in XLSX_ROWS]), "form_export", "xlsx",
          cases=[(f"row {i}", k) for i, k in enumerate(XLSX_ROWS, start=2)],
          note="online form export; one submission per row"),
        E("online_form_export_2012.csv", form_csv([C[k] for k in CSV_ROWS]), "form_export", "csv",
          cases=[(f"row {i}", k) for i, k in enumerate(CSV_ROWS, start=2)],
          note="online form export; one submission per row"),
        # broken files: the run must quarantine them, not crash
        E("empty_submission.docx", b"", status="quarantined", note="empty file (0 bytes)"),
        E("moray_case_study_upload_failed.docx", docx_table_2009(C["truncated_upload"])[:600], status="quarantined",
          note="truncated .docx: only the first 600 bytes"),
        E("scanned_case_study.pdf", png_bytes(), status="quarantined", note="a PNG image with a .pdf extension"),
        E("case_study_notes.xyz", _utf8(XYZ_NOTES), status="quarantined",
          note="unsupported extension"),
    ]
    return plan


XYZ_NOTES = (
    f"Drafting notes for our SOA case study {FICTIONAL_MARK}\n\n"
    "Saved from a note-taking program in its own format; the file extension is not one the workbench reads.\n"
    "Ideas: community transport for hospital appointments; a joint fuel poverty advice line.\n\n"
    f"{DISCLAIMER}\n"
)

XLSX_ROWS = (
    "aberdeenshire_breastfeeding", "east_lothian_road_safety", "eilean_siar_care_at_home",
    "south_lanarkshire_jobs_fund", "west_dunbartonshire_mental_wellbeing",
)
CSV_ROWS = (
    "east_renfrewshire_nurture", "highland_fire_safety", "edinburgh_hospital_discharge", "dundee_healthy_living",
    "angus_carers",
)
MINI_CSV_ROWS = ("east_renfrewshire_nurture", "edinburgh_hospital_discharge")


def mini_plan() -> list[Entry]:
    C = CASES
    E = Entry
    return [
        E("fife_home_first_reablement.docx", docx_table_2009(C["fife_reablement"]), "case_study_2009", "docx",
          cases=[("", "fife_reablement")], note="2009 form table"),
        E("glasgow_alcohol_brief_interventions_2010.docx", docx_2010(C["glasgow_alcohol_brief_interventions"]),
          "case_study_2010", "docx", cases=[("", "glasgow_alcohol_brief_interventions")],
          note="2010 template; w14:checkbox content controls"),
        E("east_ayrshire_town_centre.txt", _utf8(plain_text(C["east_ayrshire_town_centre"])), "case_study_2009",
          "txt", cases=[("", "east_ayrshire_town_centre")], note="plain text, UTF-8"),
        E("east_ayrshire_town_centre_copy.docx", docx_headings(C["east_ayrshire_town_centre"]), "case_study_2009",
          "docx", status="duplicate", cases=[("", "east_ayrshire_town_centre")],
          duplicate_of="east_ayrshire_town_centre.txt", note="the same case study again as a Word document"),
        E("east_dunbartonshire_befriending.html", _utf8(html_page(C["east_dunbartonshire_befriending"])),
          "case_study_2009", "html", cases=[("", "east_dunbartonshire_befriending")],
          note="HTML with a <style> and a <script> whose text must be dropped"),
        E("online_form_export.csv", form_csv([C[k] for k in MINI_CSV_ROWS]), "form_export", "csv",
          cases=[(f"row {i}", k) for i, k in enumerate(MINI_CSV_ROWS, start=2)], note="form export, 2 rows"),
        E("empty_submission.txt", b"", status="quarantined", note="empty file (0 bytes)"),
    ]


EXPECTED_COLUMNS = (
    "file", "part", "council", "priorities", "evidence_grade", "status", "submission_type", "format",
    "title", "checklist", "added_value_themes", "date", "duplicate_of", "note",
)


def expected_rows(plan: list[Entry]) -> list[dict]:
    rows = []
    for e in plan:
        base = {k: "" for k in EXPECTED_COLUMNS}
        base.update(file=e.file, status=e.status, submission_type=e.submission_type, format=e.fmt,
                    duplicate_of=e.duplicate_of, note=e.note)
        if not e.cases:
            rows.append(base)
            continue
        for part, key in e.cases:
            c = CASES[key]
            rows.append({**base, "part": part, "council": c.council, "priorities": ";".join(c.priorities),
                         "evidence_grade": c.grade, "title": c.title,
                         "checklist": ";".join(i for i, _ in CHECKLIST_2010 if i in c.ticked)
                         if e.submission_type == "case_study_2010" else "",
                         "added_value_themes": ";".join(c.themes), "date": c.date})
    return rows


def _write_expected(path: Path, plan: list[Entry]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=EXPECTED_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(expected_rows(plan))
    path.write_text(buf.getvalue(), encoding="utf-8")


def _write_corpus(folder: Path, plan: list[Entry]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    names = [e.file for e in plan]
    if len(set(names)) != len(names):
        raise ValueError("two entries share a file name")
    for e in plan:
        (folder / e.file).write_bytes(e.data)


def build(out: Path | None, mini: Path | None, expected: Path | None) -> None:
    """Write the sample corpus to ``out``, the mini corpus to ``mini`` and the expectation files to
    ``expected`` (any of them may be None to skip it)."""
    main = main_plan() if (out is not None or expected is not None) else []
    small = mini_plan() if (mini is not None or expected is not None) else []
    if out is not None:
        _write_corpus(out, main)
    if mini is not None:
        _write_corpus(mini, small)
    if expected is not None:
        expected.mkdir(parents=True, exist_ok=True)
        _write_expected(expected / "sample_expected.csv", main)
        _write_expected(expected / "mini_expected.csv", small)


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=root / "data" / "raw", help="folder for the sample submissions")
    ap.add_argument("--mini", type=Path, default=root / "tests" / "fixtures" / "mini_raw",
                    help="folder for the mini fixture corpus")
    ap.add_argument("--expected", type=Path, default=root / "tests" / "fixtures",
                    help="folder for sample_expected.csv and mini_expected.csv")
    args = ap.parse_args(argv)
    build(args.out, args.mini, args.expected)
    print(f"wrote {len(list(args.out.iterdir()))} files to {args.out} and "
          f"{len(list(args.mini.iterdir()))} files to {args.mini}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
