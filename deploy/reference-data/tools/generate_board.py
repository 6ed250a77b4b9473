#!/usr/bin/env python3
"""Writes the board's own record of 2015/16 (deploy/reference-data/2015-16/): the governance
register's seats (governance_seats.csv), and checks the hand-written business plan, register
and child death review files against the reference report's published figures.

The report prints only totals for the register (53 Board members, 55% female, two lay
members, a Practitioners Forum of 149): which agency holds which seat, with which role and
gender, is made up so that those totals come out; lscb computes them from the seats.
Run it from the repository root:  python3 deploy/reference-data/tools/generate_board.py
"""

import csv
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "2015-16")


def read(name):
    with open(os.path.join(OUT, name), newline="") as f:
        return list(csv.DictReader(f))


def write_csv(name, header, rows):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            assert len(r) == len(header), (name, r)
            w.writerow(r)


bodies = {b["code"]: b["members"].split(";") for b in read("governance_bodies.csv")}

# --- Board: 53 seats (one per member agency, more for the larger partners).
extra = {
    "BCC-PEOPLE": ["Director of Children's Services", "Assistant Director, Safeguarding",
                   "Assistant Director, Early Help", "Lead Member for Children's Services (participating observer)"],
    "BCC-PLACE": ["Service Director, Housing"],
    "BSCB": ["Business Manager", "Performance and Quality Assurance Manager"],
    "SCH-PRIMARY": ["Primary head teacher"],
    "SCH-SECONDARY": ["Secondary head teacher"],
    "WMP": ["Detective Superintendent, Public Protection", "Chief Inspector, Partnerships"],
    "NPS": ["Head of Birmingham"],
    "VCS": ["Voluntary sector representative", "Faith sector representative"],
    "YOS": ["Youth Offending Service Manager"],
    "PH": ["Consultant in Public Health"],
    "BSC-CCG": ["Chief Nurse"],
    "CC-CCG": ["Chief Nurse"],
    "SWB-CCG": ["Chief Nurse"],
    "BCH": ["Named Nurse"],
    "BCHC": ["Named Nurse"],
    "HEFT": ["Named Nurse"],
}
first = {
    "BCC-PEOPLE": "Strategic Director, People", "BSCB": "Independent Chair",
    "LAY": "Lay member", "WMP": "Assistant Chief Constable",
}
seats = []
for agency in bodies["BOARD"]:
    roles = [first.get(agency, "Board member")] + extra.get(agency, [])
    if agency == "LAY":
        roles = ["Lay member", "Lay member"]
    for role in roles:
        seats.append(["BOARD", agency, role, "true" if agency == "LAY" else "false", "", "true" if role == "Independent Chair" else "false"])
assert len(seats) == 53, len(seats)
# 29 women and 24 men: 55% female, 45% male; one lay member of each.
genders = (["female", "male"] * 24 + ["female"] * 5)[:53]
lay = [i for i, s in enumerate(seats) if s[1] == "LAY"]
genders[lay[0]], genders[lay[1]] = "female", "male"
fem = genders.count("female")
if fem != 29:
    # move the difference onto non-lay seats
    for i in range(53):
        if i in lay:
            continue
        if fem > 29 and genders[i] == "female":
            genders[i], fem = "male", fem - 1
        elif fem < 29 and genders[i] == "male":
            genders[i], fem = "female", fem + 1
for s, g in zip(seats, genders):
    s[4] = g
assert sum(1 for s in seats if s[4] == "female") == 29
assert round(29 / 53 * 100) == 55
assert sum(1 for s in seats if s[3] == "true") == 2

# --- Executive Group and sub-groups: one seat per member agency, gender not recorded.
chairs = {"EXEC": "BSCB", "CDOP": "PH", "CSE": "BCC-PEOPLE", "SCR": "BSC-CCG",
          "LD": "BCC-PEOPLE", "EDUCATION": "BCC-PEOPLE", "QIO": "BCC-PEOPLE"}
for body in ["EXEC", "CDOP", "COMMS", "CSE", "EDUCATION", "LD", "QIO", "SCR"]:
    for agency in bodies[body]:
        chair = chairs.get(body) == agency
        role = "Chair" if chair else "Member"
        if body == "EXEC" and chair:
            role = "Independent Chair"
        seats.append([body, agency, role, "true" if agency == "LAY" else "false", "not_recorded", "true" if chair else "false"])

# --- Practitioners Forum: 149 front-line members across the agencies.
forum = {"BCC-PEOPLE": 38, "WMP": 14, "SCH-PRIMARY": 17, "SCH-SECONDARY": 11, "SCH-SPECIAL": 4,
         "SCH-EARLY-YEARS": 6, "VCS": 15, "YOS": 5, "NPS": 3, "CRC": 2, "BCH": 8, "BCHC": 10,
         "BSMHFT": 4, "BWH": 3, "HEFT": 5, "SWBH": 2, "UHB": 2}
assert sum(forum.values()) == 149
for agency, n in forum.items():
    for _ in range(n):
        seats.append(["PF", agency, "Practitioner", "false", "not_recorded", "false"])

write_csv("governance_seats.csv", ["body", "agency", "role", "lay_member", "gender", "chair"], seats)

# --- Checks of the hand-written files.
reg = read("governance_register.csv")
assert {r["body"] for r in reg} == set(bodies) | {"PF"}, "every body and the forum in the register"
work = read("governance_work.csv")
assert {r["body"] for r in work} <= {r["body"] for r in reg}
cdop = read("cdop_categories.csv")
assert sum(int(r["reviewed"]) for r in cdop) == 165, "CDOP reviewed the 165 deaths of 2014-15"
plan = read("business_plan.csv")
assert [p for p in dict.fromkeys(r["priority_title"] for r in plan)] == [
    "Voice of the Child", "Early Help", "Safer Systems", "Business Excellence"]
print("governance_seats.csv:", len(seats), "seats")
