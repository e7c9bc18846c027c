"""Behaviour parameters of the independent world, each a range drawn once per world.

Every parameter is a :class:`Range` with the source it comes from. Source ids (S1, S5, ...) refer
to the table in ``/work/shared/domain/osec-financial-indicators.md``; "assumption" marks values no
source gives, chosen as plausible and stated in the README. A world draws one value per range
from its seed (domain randomisation), so no evaluation depends on one constant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Range:
    """A uniform (or log-uniform) range and where it comes from."""

    lo: float
    hi: float
    source: str
    log: bool = False
    integer: bool = False

    def draw(self, rng: np.random.Generator) -> float:
        """One value from the range."""
        if self.lo == self.hi:
            v = self.lo
        elif self.log:
            v = float(np.exp(rng.uniform(np.log(self.lo), np.log(self.hi))))
        else:
            v = float(rng.uniform(self.lo, self.hi))
        return float(round(v)) if self.integer else v


A = "assumption"

BASELINE: dict[str, Range] = {
    # --- the world ---------------------------------------------------------------------------
    "start_month": Range(
        0, 18, A + ": first month of the window, counted from 2024-01", integer=True
    ),
    "fx_daily_vol": Range(0.002, 0.006, A + ": daily log-volatility of exchange rates"),
    "bad_row_share": Range(
        0.0003,
        0.0007,
        A + ": share of export rows written broken (unparseable amount, unknown currency)",
    ),
    # --- population shares of all senders --------------------------------------------------
    "share_offender": Range(
        0.003, 0.005, A + " (brief): offending payers among all senders; no published prevalence"
    ),
    "share_family": Range(
        0.20,
        0.30,
        A + ": diaspora family remitters; DESIGN.md (tens of billions a year to PH from families)",
    ),
    "share_partner": Range(
        0.008,
        0.02,
        A
        + ": men supporting an adult partner abroad; S31 (adult services and partners confound OSEC)",
    ),
    "share_sponsor": Range(
        0.008, 0.02, A + ": child-sponsorship donors and direct school-fee sponsors"
    ),
    "share_freelance": Range(
        0.006, 0.016, A + ": small businesses paying PH freelancers / virtual assistants"
    ),
    "share_one_off": Range(
        0.05, 0.09, A + ": people paying PH/SE Asia one to three times (gifts, bookings, purchases)"
    ),
    "share_traveller": Range(
        0.02,
        0.04,
        A
        + ": card holders travelling to PH/TH; S17 indicator 16 (travel as a signal) makes them a confound",
    ),
    "share_romance": Range(
        0.002,
        0.005,
        A + ": romance-scam victims paying mule accounts; S36 (mule accounts, adjacent typology)",
    ),
    "p_bank_customer": Range(
        0.35, 0.6, A + ": non-domestic senders in AU/US/GB who also bank with the world's bank"
    ),
    # --- names and identity hazards --------------------------------------------------------
    "name_zipf_ph": Range(
        0.6,
        0.9,
        A + ": Zipf exponent of PH names; S37 (cultural naming practices hinder detection)",
    ),
    "name_zipf_default": Range(0.7, 1.0, A + ": Zipf exponent of other name pools"),
    "var_drop_middle": Range(0.4, 0.7, A + ": a sender omits the middle name"),
    "var_middle_initial": Range(0.1, 0.25, A + ": a sender writes the middle initial"),
    "var_nickname": Range(0.03, 0.12, A + ": a sender types a nickname (S37 aliases)"),
    "var_typo": Range(0.02, 0.07, A + ": one-letter typo in a typed name"),
    "var_swap": Range(0.01, 0.05, A + ": surname typed first"),
    "var_upper": Range(0.2, 0.5, A + ": name typed in capitals"),
    "retype_share": Range(
        0.01,
        0.05,
        A + ": a payment where the sender re-typed the recipient instead of using the saved one",
    ),
    "ph_extra_sims": Range(
        0.3, 1.0, A + ": mean extra SIM cards of a PH recipient (prepaid SIM churn)"
    ),
    "phone_differs": Range(
        0.3, 0.6, A + ": a recipient gives another of their numbers to a different remitter"
    ),
    "junior_share": Range(
        0.04, 0.1, A + ": PH households with a father and son of the same name (Sr./Jr.)"
    ),
    "household_same_surname": Range(
        0.75, 0.92, A + ": members of a PH household sharing the surname (the rest married in)"
    ),
    # --- offenders -------------------------------------------------------------------------
    "off_w_US": Range(0.35, 0.50, "S21, S22 (US about half of OSEC-related inward remittances)"),
    "off_w_AU": Range(
        0.10,
        0.22,
        "S22 (AU 7.4%), S24 (AU 3rd); raised because two of the world's institutions are Australian",
    ),
    "off_w_GB": Range(0.06, 0.12, "S22 (UK 6.8%), S21 (UK 2nd)"),
    "off_w_CA": Range(0.03, 0.07, "S21 (CA 4th), S17"),
    "off_w_DE": Range(0.02, 0.05, "S21 (DE 6th)"),
    "off_w_NZ": Range(0.01, 0.03, "S33 (NZ case)"),
    "off_w_SE": Range(0.01, 0.03, "S27 (Swedish judgments)"),
    "off_w_NL": Range(0.005, 0.02, "S21 (NL 10th)"),
    "off_w_FR": Range(0.005, 0.02, "S21 (FR 9th), S29"),
    "off_w_SA": Range(0.005, 0.02, "S21 (SA 5th)"),
    "off_w_JP": Range(0.01, 0.03, "S21 (JP 7th)"),
    "off_w_SG": Range(0.005, 0.02, "S21 (SG 8th)"),
    "off_p_single": Range(0.38, 0.48, "S1a (more than half made more than one payment)"),
    "off_count_median": Range(
        2.0, 4.0, "S1 [derived] mean 10.6 per person over the cohort, heavy tail"
    ),
    "off_count_sigma": Range(1.7, 2.1, "S1 (3% of payers made 50% of transactions; 25% made 3%)"),
    "off_count_cap": Range(
        250, 550, "S10 (826 payments in 3 years), S14 (Customer One about 110 a year)", integer=True
    ),
    "off_amt_median_aud": Range(
        40.0, 62.0, "S5 (median A$51), S10 (A$20-80 a session), S24 (as little as A$40)"
    ),
    "off_amt_sigma": Range(0.3, 0.55, "S10 (A$20-80 per session): spread within one payer"),
    "off_amt_between": Range(
        0.25, 0.45, "S1a (group medians from about $49 to $390): spread between payers"
    ),
    "off_prolific_factor": Range(0.7, 0.95, "S2 (high-volume payers typically under A$55)"),
    "off_escalation": Range(0.1, 0.6, "S1 (median amount rises as payments accumulate)"),
    "off_large_share": Range(
        0.02, 0.06, "S9, S12 (most under A$500, up to A$500 with cover terms)"
    ),
    "off_large_factor": Range(3.0, 7.0, "S19 (usually up to EUR 500, always under EUR 1,500)"),
    "off_round_share": Range(0.35, 0.65, "S19 (even-denominated amounts)"),
    "off_php_round_share": Range(
        0.1, 0.3, "S19 (even in destination currency), S20 (PHP 1,000-3,000 bracket 45.2%)"
    ),
    "off_night_share": Range(
        0.35,
        0.6,
        "S19 (late night or early morning), S27 (late evenings or at night); share itself an assumption",
    ),
    "off_burst": Range(0.15, 0.4, "S10 (about twice a day on active days)"),
    "off_started_before": Range(
        0.5,
        0.75,
        "S10, S11, S14, S33 (careers of 3-9 years: most active payers began before the window)",
    ),
    "off_stop_share": Range(
        0.1, 0.3, A + ": payers who stop within the window (arrest, block, lapse)"
    ),
    "off_intensity_growth": Range(0.2, 1.2, "S1 (intervals shorten as payments accumulate), S3"),
    "off_extra_dens": Range(
        0.2, 0.7, "S14 (multiple beneficiaries), S17 (same or multiple females)"
    ),
    "off_shared_link_share": Range(
        0.15,
        0.35,
        "S8 (common beneficiary of several senders), S34 (thousands of buyers per abuser)",
    ),
    "den_zipf": Range(
        1.0, 1.6, "S34: popularity of shared dens (heavy tail); exponent an assumption"
    ),
    "den_private_one_to_one": Range(
        0.55,
        0.75,
        "S20 (most STRs one-to-one or family operations): dens paid by one payer that are one person; the rest family-run (S25: 8 in 10 perpetrators relatives)",
    ),
    "den_shared_syndicate": Range(
        0.35,
        0.65,
        "S20 (big-time syndicate as third modus), S34 (thousands of buyers): dens paid by several payers that are syndicates",
    ),
    "den_ph_share": Range(0.82, 0.95, "S21, S22, S24 (PH); S17 (Thailand 2nd receiving country)"),
    "den_rotate": Range(
        0.15,
        0.45,
        A
        + ": share of a family or syndicate den's payments received by members other than the main one",
    ),
    "den_mules": Range(
        1.0, 3.0, "S36 (mule accounts; not livestream-specific) : mean mules of a syndicate den"
    ),
    "den_third_country": Range(
        0.03,
        0.1,
        "S16, S15 (routing via another jurisdiction), S19 (accounts accessible from high-risk jurisdictions)",
    ),
    "den_with_family_remitter": Range(
        0.15,
        0.35,
        "S20 (recipients are victims' relatives, so their households also get family remittances); share an assumption",
    ),
    "off_memo_blank": Range(0.4, 0.7, A + ": payments with no memo"),
    "off_memo_handle": Range(0.01, 0.05, "S19 (descriptions may reference social-media handles)"),
    "off_ch_remitter": Range(
        0.55, 0.75, "S8 (particularly online remittance services), S17 (most funds through MSBs)"
    ),
    "off_ch_wallet": Range(0.10, 0.25, "S27 (PayPal, WorldRemit), S18, S19 (P2P apps)"),
    "off_second_inst": Range(
        0.1, 0.3, "S14 (multiple accounts), S23/AMLC (several money service businesses)"
    ),
    "off_multi_account": Range(0.02, 0.06, "S14 (several accounts opened at one bank)"),
    "off_vpn": Range(0.2, 0.45, "S12, S13, S17 (VPN and privacy-tool purchases)"),
    "off_video_sw": Range(0.05, 0.15, "S13 (video capture software)"),
    "off_tokens": Range(
        0.1, 0.3, "S17 indicator 13 (webcam/livestreaming platforms), S27 (tokens)"
    ),
    "off_travel": Range(
        0.2, 0.5, "S14 (6 of 12 travelled to PH/SE Asia), S6 (4 of 7 discussed travel)"
    ),
    "off_age_mean": Range(50.0, 58.0, "S1 (50s or 60s, 27-82), S17 (40s and 50s)"),
    "off_age_sd": Range(8.0, 12.0, "S1 (youngest 27, oldest 82)"),
    "off_ph_name": Range(0.03, 0.1, A + ": offenders with a Filipino name (diaspora)"),
    # evasive-only knobs (0 in the baseline)
    "ev_mimic": Range(0.0, 0.0, "evasive profile only"),
    "ev_mimic_bundle": Range(2.0, 2.0, "evasive profile only"),
    "ev_family_memo": Range(0.0, 0.0, "evasive profile only"),
    "ev_new_phone": Range(0.0, 0.0, "evasive profile only"),
    "ev_new_email": Range(0.0, 0.0, "evasive profile only"),
    "ev_name_variant": Range(0.0, 0.0, "evasive profile only"),
    "ev_third_inst": Range(0.0, 0.0, "evasive profile only"),
    # --- diaspora family remitters ---------------------------------------------------------
    "fam_w_US": Range(0.28, 0.40, A + ": PH diaspora by country; S21 order of remittance sources"),
    "fam_w_SA": Range(0.06, 0.11, A),
    "fam_w_AE": Range(0.05, 0.09, A),
    "fam_w_CA": Range(0.06, 0.10, A),
    "fam_w_AU": Range(0.06, 0.12, A),
    "fam_w_GB": Range(0.04, 0.07, A),
    "fam_w_JP": Range(0.03, 0.06, A),
    "fam_w_SG": Range(0.03, 0.06, A),
    "fam_w_HK": Range(0.03, 0.06, A),
    "fam_w_IT": Range(0.02, 0.05, A),
    "fam_w_NZ": Range(0.01, 0.03, A),
    "fam_w_DE": Range(0.01, 0.03, A),
    "fam_western_spouse": Range(
        0.08, 0.2, A + ": Western spouses of Filipinas supporting in-laws (different surnames)"
    ),
    "fam_other_country": Range(0.05, 0.12, A + ": families sending to VN/TH instead of PH"),
    "fam_p2_senders": Range(0.15, 0.3, A + ": households with two senders abroad (siblings)"),
    "fam_p3_senders": Range(0.03, 0.1, A + ": households with three senders abroad"),
    "fam_extra_recipients": Range(0.2, 0.6, A + ": mean extra recipients per sender"),
    "fam_same_surname": Range(
        0.55, 0.8, "S16 (same or similar last names as family evidence); share an assumption"
    ),
    "fam_amt_median_usd": Range(150.0, 320.0, A + ": typical monthly remittance"),
    "fam_amt_between": Range(0.4, 0.7, A),
    "fam_fixed": Range(
        0.5,
        0.8,
        "S16 (regular remittances once a month on about the same day): same amount each month",
    ),
    "fam_monthly": Range(
        0.45, 0.6, "S16 (once a month on or around the same day, salary-day pattern)"
    ),
    "fam_semimonthly": Range(0.12, 0.22, A + ": US semi-monthly paydays (15th and end of month)"),
    "fam_fortnightly": Range(0.1, 0.2, A + ": fortnightly pay (AU, UK)"),
    "fam_skip": Range(0.05, 0.15, A + ": months a regular sender skips"),
    "fam_december": Range(0.4, 0.8, A + ": senders adding a Christmas (13th-month) transfer"),
    "fam_june": Range(0.2, 0.5, A + ": senders adding a school-opening transfer in June"),
    "fam_emergency_rate": Range(
        0.3, 1.5, A + ": larger irregular transfers per year (medical, repairs)"
    ),
    "fam_topup_rate": Range(
        0.0,
        0.5,
        A + ": small phone-load / pocket-money transfers per month, for the senders who make them",
    ),
    "fam_night_shift": Range(
        0.05, 0.15, A + ": senders working night shifts (nurses, caregivers) who send at night"
    ),
    "fam_memo_blank": Range(0.3, 0.6, A),
    "fam_round": Range(0.6, 0.9, A),
    "fam_php_round": Range(0.15, 0.35, A + ": transfers set as a round peso amount"),
    "fam_ch_remitter": Range(0.6, 0.8, A),
    "fam_ch_bank": Range(0.1, 0.25, A),
    "fam_second_inst": Range(0.1, 0.25, A + ": senders using a second institution"),
    # --- partners, sponsors, freelancers, one-offs, travellers, romance ---------------------
    "partner_multi": Range(
        0.2, 0.4, "S31 (adult partners/services as a confound): partners with several supporters"
    ),
    "partner_rate": Range(1.0, 4.0, A + ": payments per month", log=True),
    "partner_amt_usd": Range(60.0, 200.0, A),
    "partner_night": Range(0.12, 0.3, A + ": payments at night across time zones"),
    "partner_ph": Range(0.7, 0.9, A + ": partners in PH (rest TH)"),
    "sponsor_charity": Range(
        0.65, 0.85, A + ": sponsors paying a programme (rest pay a family directly)"
    ),
    "sponsor_amt_usd": Range(25.0, 50.0, A + ": monthly sponsorship"),
    "sponsor_direct_usd": Range(100.0, 400.0, A + ": school fees per term"),
    "sponsor_per_charity": Range(40.0, 150.0, A + ": donors per programme (legit fan-in)"),
    "fl_amt_usd": Range(150.0, 900.0, A + ": pay per period of a virtual assistant", log=True),
    "fl_extra_vas": Range(0.3, 1.0, A + ": extra freelancers per client"),
    "fl_shared_va": Range(0.1, 0.3, A + ": freelancers with several clients"),
    "oo_p1": Range(0.6, 0.75, A + ": one-off senders paying once (rest twice or three times)"),
    "oo_amt_usd": Range(40.0, 120.0, A),
    "oo_business": Range(
        0.2,
        0.4,
        A
        + ": one-off payments to small businesses with many foreign customers (guesthouses, sellers)",
    ),
    "oo_night": Range(0.08, 0.2, A),
    "oo_ph": Range(0.7, 0.85, A + ": one-off payments to PH (rest TH/VN)"),
    "tr_ph": Range(0.6, 0.8, A + ": trips to PH (rest TH)"),
    "tr_local_payments": Range(
        0.3, 1.5, A + ": person-to-person payments to locals per trip (drivers, guides, hosts)"
    ),
    "rom_n": Range(3.0, 15.0, A + ": payments per victim", log=True),
    "rom_start_usd": Range(100.0, 600.0, A),
    "rom_growth": Range(1.1, 1.5, A + ": escalation factor per payment"),
    "rom_victims_per_mule": Range(1.5, 4.0, "S36 (mule accounts used for many victims)"),
    # --- domestic banking and cards ---------------------------------------------------------
    "card_rate": Range(
        0.3, 0.6, A + ": card purchases per card holder and month in the export (thinned sample)"
    ),
    "card_rate_sigma": Range(0.6, 0.9, A),
    "subs_mean": Range(0.2, 0.6, A + ": card subscriptions per holder"),
    "rent_share": Range(0.1, 0.25, A + ": bank customers paying rent by transfer"),
    "bills_rate": Range(0.1, 0.3, A + ": bill payments per month"),
    "p2p_rate": Range(0.05, 0.2, A + ": domestic person-to-person transfers per month"),
    "legit_vpn": Range(0.04, 0.1, A + ": card holders with a VPN subscription"),
    "legit_video_sw": Range(0.005, 0.02, A),
    "legit_tokens": Range(0.05, 0.12, A + ": card holders buying game/platform credits"),
    "family_flight": Range(0.15, 0.4, A + ": family remitters flying home in the year"),
    "partner_flight": Range(0.3, 0.6, A + ": partner supporters visiting"),
}

#: The evasive profile: offenders adapt to what is deployed (DESIGN.md; S33 switching provider,
#: S14 multiple accounts, S9/S19 family cover terms, S16 salary-day pattern used to clear families).
EVASIVE: dict[str, Range] = {
    "ev_mimic": Range(
        0.35,
        0.7,
        "S16 (regular monthly remittances are cleared as family), DESIGN.md (evasion profile)",
    ),
    "ev_mimic_bundle": Range(
        2.0, 5.0, A + ": sessions paid in one monthly transfer by a mimicking offender"
    ),
    "ev_family_memo": Range(0.6, 0.9, "S9, S12, S19 (family support, school, medical cover terms)"),
    "ev_new_phone": Range(
        0.6,
        0.95,
        "S33 (switching provider), AMLC (several MSBs): a new phone number per institution",
    ),
    "ev_new_email": Range(0.5, 0.9, A + ": a new e-mail per institution"),
    "ev_name_variant": Range(0.3, 0.7, A + ": a different form of the name at each institution"),
    "ev_third_inst": Range(
        0.2, 0.5, "AMLC (several money service businesses): a third institution"
    ),
    "off_night_share": Range(0.05, 0.2, A + ": adapted payers shift to daytime"),
    "off_memo_blank": Range(0.15, 0.35, A),
    "off_round_share": Range(0.7, 0.95, "S16, S19: round amounts like family remittances"),
    "off_extra_dens": Range(
        0.0, 0.2, "S14, S17 (multiple beneficiaries flagged): fewer beneficiaries"
    ),
    "off_second_inst": Range(0.4, 0.8, "S33, AMLC: splitting across remitters"),
    "off_burst": Range(0.05, 0.15, A),
    "off_ch_remitter": Range(0.65, 0.85, "S8, S17: remitters, split among several"),
}


class Params(dict[str, float]):
    """The values one world drew, with their ranges and sources for ``parameters.json``."""

    def __init__(self, profile: str, seed: int) -> None:
        super().__init__()
        self.profile = profile
        self.seed = seed
        self.ranges: dict[str, Range] = {}

    def to_json(self, path: Path, extra: dict[str, object]) -> None:
        """Write the drawn values beside their ranges and sources."""
        doc = {
            "seed": self.seed,
            "profile": self.profile,
            **extra,
            "parameters": {
                k: {
                    "value": v,
                    "range": [self.ranges[k].lo, self.ranges[k].hi],
                    "source": self.ranges[k].source,
                }
                for k, v in self.items()
            },
        }
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def draw(rng: np.random.Generator, profile: str, seed: int) -> Params:
    """Draw every parameter of one world; the evasive profile replaces some ranges."""
    if profile not in ("baseline", "evasive"):
        raise ValueError(f"unknown profile {profile!r}: baseline or evasive")
    table = dict(BASELINE)
    if profile == "evasive":
        table.update(EVASIVE)
    p = Params(profile, seed)
    for name in sorted(table):
        p.ranges[name] = table[name]
        p[name] = table[name].draw(rng)
    return p
