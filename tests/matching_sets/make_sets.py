#!/usr/bin/env python3
"""Write the held-out matching evaluation sets in tests/matching_sets/ (standard library only, fixed seed).

    python3 tests/matching_sets/make_sets.py           # rewrite every set, then check it
    python3 tests/matching_sets/make_sets.py --check   # only check the files on disk and print their figures

Every business is fictional and written by hand in the tables below; the script only lays out the
records: it numbers the ids, formats phones, addresses and coordinates the way each source writes
them, and draws (with a fixed seed) which optional fields a source has and how far its point lies
from the building. See README.md beside this file for what each set holds. The sets are a held-out
evaluation: they were written without reading the matcher's rules and must not be used to tune them.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import statistics
import string
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240617

# --------------------------------------------------------------------------------------------------
# 1. Restaurant guides (Fodor's vs Zagat shape): id,name,addr,city,phone,type, no coordinates.
# --------------------------------------------------------------------------------------------------
# One entry per restaurant: key, region, area code, Fodor's record, Zagat record (None when the guide
# lacks it). A record is (name, addr, city, type) or (name, addr, city, type, phone rule). Phone rules:
# absent = the restaurant's own number; "" = no phone in that guide; "other" = a different number (a new
# reservations line between the two guides); "=key" = the number of another restaurant (one hotel
# switchboard); "spaced" = Fodor's typo with a space after the slash ("212/ 319-4471").
Rec = tuple[str, ...]
Guide = tuple[str, str, str, Rec | None, Rec | None]

REGIONS = ("la", "ny", "atl", "sf", "lv")

# fmt: off
GUIDES: list[Guide] = [
    # ---- Los Angeles: true matches
    ("marlowe_la", "la", "310", ("marlowe's (los angeles)", "1108 n. la cienega blvd.", "los angeles", "californian"),
     ("marlowe's", "1108 n. la cienega blv.", "w. hollywood", "californian")),
    ("brass_rail", "la", "310", ("the brass rail", "8701 melrose ave.", "los angeles", "american"),
     ("brass rail the", "8701 melrose ave.", "w. hollywood", "american (traditional)")),
    ("dorsey_studio", "la", "818", ("dorsey's delicatessen", "13055 ventura blvd.", "studio city", "american"),
     ("dorsey's deli", "13055 ventura blvd.", "studio city", "delis")),
    ("ventana", "la", "310", ("hotel ventana", "512 stone canyon rd.", "bel air", "californian"),
     ("ventana hotel", "512 stone canyon rd.", "bel air", "californian")),
    ("solene", "la", "818", ("cafe solene", "14230 ventura blvd.", "sherman oaks", "french"),
     ("café solene", "14230 ventura blvd.", "sherman oaks", "french bistro")),
    ("olmeda", "la", "213", ("olmeda", "614 s. la brea avenue", "los angeles", "american"),
     ("olmeda", "614 s. la brea ave.", "los angeles", "californian")),
    ("tsubaki", "la", "310", ("tsubaki on main", "2815 main st.", "santa monica", "asian"),
     ("tsubaki on main", "2815 main st.", "santa monica", "pacific new wave")),
    ("corvo", "la", "213", ("corvo at the belvedere", "8440 sunset blvd.", "west hollywood", "french (new)"),
     ("corvo", "8440 sunset blvd. west", "hollywood", "american (new)")),
    ("grill_row", "la", "310", ("grill on the row", "9585 dayton way", "los angeles", "american"),
     ("grill the", "9585 dayton way", "beverly hills", "american (traditional)")),
    ("hoshi", "la", "213", ("restaurant hoshi", "1985 n. hillhurst ave.", "los angeles", "asian"),
     ("hoshi", "1985 hillhurst ave.", "los feliz", "japanese")),
    ("jardin_la", "la", "213", ("le jardin (los angeles)", "8290 melrose ave.", "los angeles", "french bistro"),
     ("le jardin", "8290 melrose ave.", "los angeles", "french bistro")),
    ("oak_room_la", "la", "310", ("the oak room", "9020 santa monica blvd.", "los angeles", "american"),
     ("oak room the (los angeles)", "9020 santa monica blvd.", "w. hollywood", "steakhouses")),
    ("philbert", "la", "213", ("philbert's the original", "1020 n. alameda st.", "los angeles", "american"),
     ("philbert the original", "1020 n. alameda st.", "chinatown", "cafeterias")),
    ("verlaine_la", "la", "818", ("bistro verlaine", "12930 ventura blvd.", "los angeles", "french"),
     ("bistro verlaine", "12930 ventura blvd.", "studio city", "french bistro")),
    ("tullio", "la", "213", ("tullio il ristorante", "630 s. olive st.", "los angeles", "italian"),
     ("tullio il ristorante", "630 s. olive st.", "los angeles", "nuevo italian")),
    ("yuan_li", "la", "818", ("yuan li's gourmet chinese cuisine", "71 n. raymond ave.", "los angeles", "asian"),
     ("yuan li's", "71 n. raymond ave.", "pasadena", "chinese")),
    ("orsolina", "la", "310", ("orsolina", "11620 san vicente blvd.", "los angeles", "italian"),
     ("nico ambrosi's orsolina", "11620 san vicente blvd.", "brentwood", "italian")),
    ("ventimiglia", "la", "310", ("ventimiglia", "3120 pico blvd.", "santa monica", "italian"),
     ("ventimiglia", "3120 pico blvd.", "santa monica", "italian")),
    ("nakamura", "la", "310", ("nakamura", "140 n. la cienega blvd.", "beverly hills", "asian"),
     ("nakamura", "140 n. la cienega blvd.", "beverly hills", "seafood")),
    ("azalea", "la", "213", ("azalea", "1617 n. vine st.", "hollywood", "american", ""),
     ("azalea", "1617 n. vine street", "hollywood", "american (new)")),
    # ---- New York: true matches
    ("cortland", "ny", "212", ("cortland club", "27 w. 51st st.", "new york", "american"),
     ("cortland club", "27 w. 51st st.", "new york city", "american (traditional)")),
    ("fjordhus", "ny", "212", ("fjordhus", "15 w. 55th st., 2nd floor", "new york", "continental"),
     ("fjordhus", "15 w. 55th st.", "new york city", "scandinavian")),
    ("halcyon", "ny", "212", ("halcyon", "38 e. 62nd st.", "new york", "american", "spaced"),
     ("halcyon", "38 e. 62nd st.", "new york city", "american (new)")),
    ("mirela", "ny", "212", ("cafe mirela", "205 w. 84th st.", "new york", "coffee bar"),
     ("café mirela", "205 w. 84th st.", "new york city", "coffeehouses")),
    ("ballantino_uws", "ny", "212", ("ballantino's", "2460 broadway between 91st and 92nd sts.", "new york", "italian"),
     ("ballantino's", "2460 broadway", "new york city", "italian")),
    ("kessler_midtown", "ny", "212", ("kessler's deli", "862 7th ave. between 54th and 55th sts.", "new york", "delicatessen"),
     ("kessler's deli", "862 seventh ave.", "new york city", "delis")),
    ("marisol", "ny", "212", ("marisol", "4 harrison st. near hudson st.", "new york", "american"),
     ("marisol", "4 harrison st.", "new york city", "french (new)")),
    ("shalimar_house", "ny", "212", ("shalimar house", "214 e. 58th st.", "new york", "asian"),
     ("shalimar house", "214 e. 58th st.", "new york city", "indian")),
    ("stuyvesant", "ny", "212", ("stuyvesant bar & grill", "14 e. 12th st.", "new york", "american"),
     ("stuyvesant bar and grill", "14 e. 12th street", "new york city", "american (new)")),
    ("lark", "ny", "212", ("lark tavern", "44 e. 20th st. between park ave. s and broadway", "new york", "american"),
     ("lark tavern", "44 e. 20th st.", "new york city", "american (new)")),
    ("lucerne", "ny", "212", ("lucerne", "6 e. 56th st. in the halloran hotel", "new york", "asian"),
     ("lucerne (new york city)", "6 e. 56th st.", "new york city", "french (new)")),
    ("halloran_grill", "ny", "212", ("halloran grill", "6 e. 56th st. in the halloran hotel", "new york", "american"),
     ("halloran grill the", "6 e. 56th st.", "new york city", "american (new)")),
    ("park_terrace", "ny", "212", ("park terrace cafe", "105 e. 63rd st.", "new york", "american"),
     ("park terrace cafe (new york city)", "105 e. 63rd st.", "new york city", "american (new)")),
    ("samovar", "ny", "212", ("samovar", "285 lafayette st. between prince and houston sts.", "new york", "russian"),
     ("samovar", "285 lafayette st.", "new york city", "eastern european", "other")),
    ("jade_lotus_west", "ny", "212", ("jade lotus west", "47 w. 65th st.", "new york", "asian"),
     ("jade lotus west", "47 w. 65th st.", "new york city", "chinese", "other")),
    ("harrington", "ny", "212", ("harrington & vail", "205 e. 49th st.", "new york", "american"),
     ("harington & vail", "801 3rd ave.", "new york city", "steakhouses")),
    ("boathouse", "ny", "212", ("the boathouse grill", "central park west at 72nd st.", "new york", "american"),
     ("boathouse grill", "central park west", "new york city", "american (new)")),
    ("fenice", "ny", "212", ("la fenice", "241 e. 58th st.", "new york", "italian"),
     ("paolo renzi's la fenice", "241 e. 58th st.", "new york city", "italian")),
    ("savarin", "ny", "212", ("savarin", "11 e. 53rd st.", "new york", "asian"),
     ("savarin", "11 e. 53rd st.", "new york city", "japanese", "")),
    ("ardoise", "ny", "212", ("maison ardoise", "3 e. 52nd st. at 5th ave.", "new york", "french"),
     ("maison ardoise", "3 e. 52nd st.", "new york city", "french (classic)")),
    ("oak_room_ny", "ny", "212", ("the oak room", "840 2nd ave.", "new york", "american"),
     ("oak room the (new york city)", "840 2nd ave.", "new york city", "steakhouses")),
    # ---- Atlanta: true matches
    ("calabria", "atl", "404", ("calabria", "2365 peachtree rd. peachtree battle shopping center", "atlanta", "italian"),
     ("calabria", "2365 peachtree rd. ne", "atlanta", "italian")),
    ("magnolia", "atl", "404", ("magnolia room", "3135 piedmont rd. near peachtree rd.", "atlanta", "international"),
     ("magnolia room", "3135 piedmont rd.", "atlanta", "american (new)")),
    ("cutters", "atl", "404", ("cutter's restaurant", "3140 piedmont road", "atlanta", "american"),
     ("cutter's", "3140 piedmont rd. ne", "atlanta", "steakhouses")),
    ("lucien", "atl", "404",
     ("brasserie lucien", "3393 peachtree rd. lenox square mall near neiman marcus", "atlanta", "french"),
     ("brasserie lucien", "3393 peachtree rd.", "atlanta", "french bistro")),
    ("paces_diner", "atl", "404", ("paces diner", "3085 piedmont road", "atlanta", "american"),
     ("paces diner", "3085 piedmont rd.", "buckhead", "american (new)")),
    ("sauterne", "atl", "404", ("sauterne restaurant", "1535 piedmont ave.", "atlanta", "french"),
     ("sauterne", "1535 piedmont ave.", "atlanta", "french bistro")),
    ("dogwood", "atl", "404", ("dogwood inn the", "498 e. paces ferry rd.", "atlanta", "international"),
     ("dogwood inn", "498 e. paces ferry rd. ne", "atlanta", "continental")),
    ("taj", "atl", "404", ("taj of india", "601 piedmont ave. rio shopping mall", "atlanta", "asian"),
     ("taj of india", "601 piedmont ave. ne", "atlanta", "indian")),
    ("stavros", "atl", "404", ("stavros and mike's", "1240 w. paces ferry rd.", "atlanta", "international"),
     ("stavros & mike's", "1240 w. paces ferry rd.", "atlanta", "american (new)")),
    ("whit_cafe", "atl", "404", ("whitcombe cafe (buckhead)", "3450 peachtree rd.", "atlanta", "american"),
     ("cafe whitcombe buckhead", "3450 peachtree rd.", "buckhead", "american (new)")),
    ("whit_dining", "atl", "404",
     ("whitcombe dining room (buckhead)", "3450 peachtree rd.", "atlanta", "international", "=whit_cafe"),
     ("dining room whitcombe buckhead", "3450 peachtree rd.", "buckhead", "international", "=whit_cafe")),
    ("whit_atl", "atl", "404", ("whitcombe restaurant", "185 peachtree st.", "atlanta", "american"),
     ("restaurant whitcombe atlanta", "185 peachtree st.", "atlanta", "continental")),
    # ---- San Francisco: true matches
    ("cressida", "sf", "415", ("cressida", "602 fourth st.", "san francisco", "french"),
     ("cressida", "602 4th st.", "san francisco", "french (new)")),
    ("tartine", "sf", "415", ("la tartine", "574 fourth st.", "san francisco", "french"),
     ("la tartine", "574 4th st.", "san francisco", "french bistro")),
    ("quayside", "sf", "415", ("quayside", "3 mission st., 1st fl.", "san francisco", "american"),
     ("quayside", "3 mission st.", "san francisco", "american (new)")),
    ("mimi", "sf", "415", ("mimi", "820 folsom st., suite 100", "san francisco", "mediterranean"),
     ("mimi bistro-cafe", "820 folsom st.", "san francisco", "mediterranean")),
    ("maxines", "sf", "415", ("maxine's", "652 bush st.", "san francisco", "french"),
     ("maxine's", "652 bush st.", "san francisco", "french (new)")),
    ("whit_sf", "sf", "415", ("whitcombe dining room (san francisco)", "604 stockton st.", "san francisco", "american"),
     ("whitcombe restaurant and dining room", "604 stockton st.", "san francisco", "american (new)")),
    ("comet", "sf", "415", ("comet", "154 redwood alley", "san francisco", "american"),
     ("comet", "154 redwood alley", "san francisco", "american (new)")),
    ("rosa_bianca", "sf", "415", ("rosa bianca", "536 columbus ave.", "san francisco", "italian"),
     ("rosa bianca", "536 columbus avenue", "san francisco", "italian")),
    # ---- Las Vegas: true matches
    ("marlowe_lv", "lv", "702",
     ("marlowe's (las vegas)", "3500 las vegas blvd. s. in the meridian arcade", "las vegas", "californian"),
     ("marlowe's", "meridian arcade", "las vegas", "californian")),
    ("kaiseki", "lv", "702", ("kaiseki", "3400 las vegas blvd. s.", "las vegas", "asian"),
     ("kaiseki", "3400 las vegas blvd. s", "las vegas", "japanese")),
    ("golden_pavilion", "lv", "702", ("golden pavilion", "3400 las vegas blvd. s.", "las vegas", "asian"),
     ("golden pavilion", "3400 las vegas blvd. s", "las vegas", "chinese")),
    ("la_scala", "lv", "702", ("la scala court", "3570 las vegas blvd. s.", "las vegas", "continental"),
     ("la scala court", "3570 las vegas blvd. s", "las vegas", "continental")),
    ("silver_spur", "lv", "702", ("silver spur coffee shop", "131 fremont st.", "las vegas", "american"),
     ("silver spur coffee shop", "131 fremont st.", "las vegas", "coffee shops/diners")),
    ("bayou", "lv", "702", ("bayou fish house", "3799 las vegas blvd. s.", "las vegas", "seafood"),
     ("bayou", "3799 las vegas blvd. s", "las vegas", "cajun/creole")),
    # ---- Fodor's only
    ("bodega_verde", "la", "213", ("la bodega verde", "2116 w. sunset blvd.", "los angeles", "latin american"), None),
    ("pasquale", "la", "213", ("pasquale's", "7470 melrose ave.", "los angeles", "italian"), None),
    ("gardens_kyoto", "la", "213", ("the gardens of kyoto", "3110 wilshire blvd.", "los angeles", "asian"), None),
    ("cobalt", "la", "310", ("cobalt grill", "1520 ocean ave.", "santa monica", "seafood"), None),
    ("mabel", "la", "213", ("mabel's kitchen", "435 n. fairfax ave.", "los angeles", "american"), None),
    ("sunset_rot", "la", "213", ("sunset rotisserie", "7950 sunset blvd.", "west hollywood", "american"), None),
    ("kyriakos", "la", "310", ("taverna kyriakos", "11845 wilshire blvd.", "los angeles", "greek"), None),
    ("coyote_rojo", "la", "213", ("el coyote rojo", "7312 beverly blvd.", "los angeles", "mexican"), None),
    ("ocean_house", "la", "310", ("ocean house", "23650 pacific coast hwy.", "malibu", "seafood"), None),
    ("primo_piatto", "la", "310", ("primo piatto", "9640 brighton way", "beverly hills", "italian"), None),
    ("pelican", "la", "310", ("the hungry pelican", "4100 admiralty way", "marina del rey", "seafood"), None),
    ("bamboo", "la", "213", ("bamboo terrace", "1028 n. broadway", "los angeles", "asian"), None),
    ("hollis_finch", "la", "310", ("hollis & finch", "1150 abbot kinney blvd.", "venice", "eclectic"), None),
    ("chez_renaud", "la", "818", ("chez renaud", "12101 ventura blvd.", "studio city", "french"), None),
    ("dorsey_encino", "la", "818", ("dorsey's deli", "16520 ventura blvd.", "encino", "american"), None),
    ("jardin_ny", "ny", "212", ("le jardin (new york)", "118 w. 55th st.", "new york", "french bistro"), None),
    ("ev_deli", "ny", "212", ("east village deli", "160 2nd ave. at 10th st.", "new york", "delicatessen"), None),
    ("peintres", "ny", "212", ("cafe des peintres", "3 w. 69th st.", "new york", "continental"), None),
    ("aurelien", "ny", "212", ("aurelien", "22 e. 74th st.", "new york", "french"), None),
    ("gilded_pig", "ny", "212", ("the gilded pig", "61 w. 9th st.", "new york", "american"), None),
    ("benedetta", "ny", "212", ("ristorante benedetta", "338 e. 49th st.", "new york", "italian"), None),
    ("mott_dumpling", "ny", "212", ("mott street dumpling house", "18 mott st.", "new york", "asian"), None),
    ("tribeca_brass", "ny", "212", ("tribeca brasserie", "88 hudson st. at harrison st.", "new york", "french"), None),
    ("old_stone", "ny", "212", ("old stone oyster bar", "1 wall st. court", "new york", "seafood"), None),
    ("kebab_palace", "ny", "212",
     ("kebab palace", "1412 2nd ave. between 73rd and 74th sts.", "new york", "middle eastern"), None),
    ("saltwater", "ny", "212", ("saltwater grill", "245 park ave. s", "new york", "seafood"), None),
    ("copper_pot", "ny", "212", ("the copper pot", "140 w. 13th st.", "new york", "american"), None),
    ("nonna_lucia", "ny", "212", ("nonna lucia", "162 mulberry st.", "new york", "italian"), None),
    ("velvet_room", "ny", "212", ("the velvet room", "120 e. 59th st.", "new york", "or music"), None),
    ("siam_garden", "ny", "212", ("siam garden", "356 w. 46th st.", "new york", "asian"), None),
    ("madras_palace", "ny", "212", ("madras palace", "104 lexington ave. at 27th st.", "new york", "asian"), None),
    ("pomodoro", "ny", "212",
     ("pomodoro rosso", "229 columbus ave. between 70th and 71st sts.", "new york", "italian"), None),
    ("hudson_chop", "ny", "212", ("the hudson chop house", "22 w. 46th st.", "new york", "american"), None),
    ("bistro_coin", "ny", "212", ("bistro du coin", "111 e. 29th st.", "new york", "french"), None),
    ("harlem_hearth", "ny", "212", ("harlem hearth", "2294 adam clayton powell jr. blvd.", "new york", "southern"), None),
    ("tea_court", "ny", "212", ("the tea court", "6 e. 56th st. in the halloran hotel", "new york", "continental"), None),
    ("peachtree_oyster", "atl", "404", ("peachtree oyster house", "2951 peachtree rd.", "atlanta", "seafood"), None),
    ("mama_lou", "atl", "404", ("mama lou's kitchen", "224 ponce de leon ave.", "atlanta", "southern"), None),
    ("trattoria_nico", "atl", "404", ("la trattoria di nico", "3209 paces ferry pl.", "atlanta", "italian"), None),
    ("thai_palace", "atl", "404", ("thai palace", "1401 w. paces ferry rd.", "atlanta", "asian"), None),
    ("colonnade", "atl", "404", ("the colonnade room", "1879 cheshire bridge rd.", "atlanta", "american"), None),
    ("fuji_grill", "atl", "404", ("fuji grill", "3330 piedmont rd. peachtree center", "atlanta", "asian"), None),
    ("savannah_blue", "atl", "404", ("savannah blue", "1000 piedmont ave.", "atlanta", "southern"), None),
    ("villa_marsala", "atl", "404", ("villa marsala", "500 pharr rd.", "atlanta", "italian"), None),
    ("south_city", "atl", "404", ("south city grill", "1144 crescent ave.", "atlanta", "american"), None),
    ("whit_lounge", "atl", "404",
     ("whitcombe lobby lounge (buckhead)", "3450 peachtree rd.", "atlanta", "american", "=whit_cafe"), None),
    ("shalimar_sf", "sf", "415", ("shalimar", "1820 polk st.", "san francisco", "asian"), None),
    ("nob_hill", "sf", "415", ("nob hill grille", "1075 california st.", "san francisco", "american"), None),
    ("anchorage", "sf", "415", ("the anchorage", "2800 leavenworth st.", "san francisco", "seafood"), None),
    ("da_vinci", "sf", "415", ("trattoria da vinci", "490 pacific ave.", "san francisco", "italian"), None),
    ("golden_lotus", "sf", "415", ("golden lotus", "926 grant ave.", "san francisco", "asian"), None),
    ("pier9", "sf", "415", ("pier 9 chowder house", "9 embarcadero", "san francisco", "seafood"), None),
    ("cafe_valencia", "sf", "415", ("cafe valencia", "3215 mission st.", "san francisco", "latin american"), None),
    ("hayes_bistro", "sf", "415", ("hayes street bistro", "320 hayes st.", "san francisco", "french"), None),
    ("noe_grill", "sf", "415", ("noe valley grill", "4000 24th st.", "san francisco", "american"), None),
    ("cressida_cafe", "sf", "415", ("cressida cafe", "1610 fillmore st.", "san francisco", "french"), None),
    ("bacchus", "lv", "702", ("bacchus feast", "3570 las vegas blvd. s.", "las vegas", "only suggested dress attire"), None),
    ("steak_pit", "lv", "702", ("the steak pit", "3555 las vegas blvd. s.", "las vegas", "american"), None),
    ("caravan", "lv", "702", ("caravan buffet", "3300 las vegas blvd. s.", "las vegas", "american"), None),
    ("sonoran", "lv", "702", ("sonoran grill", "4321 w. flamingo rd.", "las vegas", "southwestern"), None),
    ("neon_noodle", "lv", "702", ("neon noodle", "3400 las vegas blvd. s.", "las vegas", "asian"), None),
    # ---- Zagat only
    ("dorsey_bh", "la", "310", None, ("dorsey's deli", "8630 wilshire blvd.", "beverly hills", "delis")),
    ("orsolina_sc", "la", "818", None, ("orsolina", "12008 ventura blvd.", "studio city", "italian")),
    ("lotus_lime", "la", "310", None, ("lotus & lime", "2307 main st.", "santa monica", "pacific rim")),
    ("fuego", "la", "213", None, ("fuego", "3917 sunset blvd.", "silver lake", "nuevo latino")),
    ("the_shack", "la", "310", None, ("the shack", "185 culver blvd.", "playa del rey", "hamburgers")),
    ("sushi_ren", "la", "818", None, ("sushi ren", "11934 ventura blvd.", "studio city", "japanese")),
    ("piazzetta", "la", "310", None, ("la piazzetta", "9467 santa monica blvd.", "beverly hills", "northern italian")),
    ("dog_house", "la", "213", None, ("dog house", "709 n. la brea ave.", "hollywood", "hot dogs")),
    ("mandarin_court", "la", "818", None, ("mandarin court", "1150 s. atlantic blvd.", "alhambra", "dim sum")),
    ("el_paseo", "la", "213", None, ("el paseo grill", "3300 w. olympic blvd.", "mid-wilshire", "mexican")),
    ("green_leaf", "la", "310", None, ("green leaf", "1518 montana ave.", "santa monica", "health food")),
    ("porch_parlor", "la", "213", None, ("porch & parlor", "8115 w. 3rd st.", "los angeles", "american (new)")),
    ("kessler_lex", "ny", "212", None, ("kessler's deli", "1271 lexington ave.", "new york city", "delis")),
    ("ballantino_tsq", "ny", "212", None, ("ballantino's", "200 w. 44th st.", "new york city", "italian")),
    ("jade_lotus_palace", "ny", "212", None, ("jade lotus palace", "155 e. 55th st.", "new york city", "chinese")),
    ("verlaine_ny", "ny", "212", None,
     ("bistro verlaine (new york city)", "47 e. 12th st.", "new york city", "french bistro")),
    ("volkov", "ny", "212", None, ("volkov", "186 w. 58th st.", "new york city", "russian")),
    ("cafe_halcyon", "ny", "212", None, ("cafe halcyon", "1291 lexington ave.", "new york city", "coffeehouses")),
    ("bleecker_bistro", "ny", "212", None, ("bleecker street bistro", "302 bleecker st.", "new york city", "french bistro")),
    ("canal_noodle", "ny", "212", None, ("canal street noodle", "44 canal st.", "new york city", "noodle shops")),
    ("gramercy_fish", "ny", "212", None, ("gramercy fish", "150 e. 23rd st.", "new york city", "seafood")),
    ("vittorio", "ny", "212", None, ("vittorio's", "232 e. 43rd st.", "new york city", "steakhouses")),
    ("sapporo", "ny", "212", None, ("sapporo ichiban", "152 w. 49th st.", "new york city", "noodle shops")),
    ("casa_gallega", "ny", "212", None, ("casa gallega", "168 w. 4th st.", "new york city", "spanish")),
    ("lantern", "ny", "212", None, ("the lantern", "63 carmine st.", "new york city", "american (new)")),
    ("el_rancho", "ny", "212", None, ("el rancho", "1600 amsterdam ave.", "new york city", "tex-mex")),
    ("olympia", "ny", "212", None, ("olympia taverna", "309 e. 86th st.", "new york city", "greek")),
    ("calabria_ravinia", "atl", "770", None, ("calabria ravinia", "4355 ashford-dunwoody rd.", "atlanta", "italian")),
    ("cattleman", "atl", "404", None, ("cattleman's", "3280 peachtree rd.", "buckhead", "steakhouses")),
    ("southern_star", "atl", "404", None, ("southern star", "1100 peachtree st.", "atlanta", "southern/soul")),
    ("nam_phuong", "atl", "770", None, ("nam phuong", "4051 buford hwy.", "atlanta", "vietnamese")),
    ("ivy_tavern", "atl", "404", None, ("the ivy tavern", "3500 peachtree rd.", "buckhead", "american (traditional)")),
    ("petit_jardin", "atl", "404", None, ("petit jardin", "1209 virginia ave.", "atlanta", "french bistro")),
    ("hickory_pit", "atl", "404", None, ("hickory pit", "2520 cheshire bridge rd.", "atlanta", "bbq")),
    ("star_india", "atl", "404", None, ("star of india", "1700 n. decatur rd.", "atlanta", "indian")),
    ("jardin_sf", "sf", "415", None, ("le jardin", "2201 fillmore st.", "san francisco", "french bistro")),
    ("nb_pasta", "sf", "415", None, ("north beach pasta co.", "501 columbus ave.", "san francisco", "italian")),
    ("jade_garden", "sf", "415", None, ("jade garden", "101 spear st.", "san francisco", "dim sum")),
    ("saigon_table", "sf", "415", None, ("saigon table", "584 valencia st.", "san francisco", "vietnamese")),
    ("marina_grotto", "sf", "415", None, ("marina fish grotto", "2001 chestnut st.", "san francisco", "seafood")),
    ("market_vine", "sf", "415", None, ("market & vine", "1658 market st.", "san francisco", "californian")),
    ("oyster_bar_lv", "lv", "702", None, ("the oyster bar", "3400 las vegas blvd. s", "las vegas", "seafood")),
    ("high_roller", "lv", "702", None, ("high roller steakhouse", "3645 las vegas blvd. s", "las vegas", "steakhouses")),
    ("la_palapa", "lv", "702", None, ("la palapa", "807 s. main st.", "las vegas", "mexican")),
    ("desert_rose", "lv", "702", None, ("desert rose buffet", "2880 las vegas blvd. s", "las vegas", "american (traditional)")),
    ("fremont_deli", "lv", "702", None, ("fremont deli", "121 fremont st.", "las vegas", "delis")),
]
# fmt: on


def _new_number(rng: random.Random, area: str, used: set[str]) -> str:
    while True:
        exchange = rng.randrange(200, 1000)
        line = rng.randrange(0, 10000)
        if exchange % 100 == 11 or exchange == 555:
            continue
        digits = f"{area}{exchange:03d}{line:04d}"
        if digits not in used:
            used.add(digits)
            return digits


def write_restaurant_guides(out: Path) -> None:
    rng = random.Random(SEED)
    used: set[str] = set()
    own = {key: _new_number(rng, area, used) for key, _region, area, _f, _z in GUIDES}
    rows: dict[str, list[tuple[int, str, list[str]]]] = {"fodors": [], "zagat": []}
    for key, region, area, fodors, zagat in GUIDES:
        for source, rec in (("fodors", fodors), ("zagat", zagat)):
            if rec is None:
                continue
            name, addr, city, kind = rec[:4]
            rule = rec[4] if len(rec) > 4 else "own"
            digits = own[key]
            if rule == "other":
                digits = _new_number(rng, area, used)
            elif rule.startswith("="):
                digits = own[rule[1:]]
            if rule == "":
                phone = ""
            elif source == "fodors":
                phone = f"{digits[:3]}/{' ' if rule == 'spaced' else ''}{digits[3:6]}-{digits[6:]}"
            else:
                phone = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
            rows[source].append((REGIONS.index(region), key, [name, addr, city, phone, kind]))
    out.mkdir(parents=True, exist_ok=True)
    truth: list[list[str]] = []
    for source, items in rows.items():
        items.sort(key=lambda item: (item[0], item[2][0], item[2][1]))
        with (out / f"{source}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["id", "name", "addr", "city", "phone", "type"])
            for number, (_region, key, values) in enumerate(items, start=1):
                writer.writerow([str(number), *values])
                truth.append([source, str(number), key])
    _write_truth(out, truth)


def _write_truth(out: Path, truth: list[list[str]]) -> None:
    with (out / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source", "id", "entity"])
        writer.writerows(truth)


# --------------------------------------------------------------------------------------------------
# 2. POI sets (OpenStreetMap vs Foursquare, OpenStreetMap vs Yelp) in two fictional towns ~3 km across.
# --------------------------------------------------------------------------------------------------
# Each kind: OpenStreetMap tags, Foursquare category, Yelp categories.
# fmt: off
KINDS: dict[str, tuple[str, str, str]] = {
    "coffee": ("amenity=cafe;cuisine=coffee_shop", "Coffee Shop", "Coffee & Tea"),
    "coffee_chain": ("amenity=cafe;cuisine=coffee_shop;takeaway=yes", "Coffee Shop", "Coffee & Tea"),
    "coffee_drive": ("amenity=cafe;cuisine=coffee_shop;drive_through=yes", "Coffee Shop", "Coffee & Tea"),
    "cafe": ("amenity=cafe", "Café", "Cafes, Breakfast & Brunch"),
    "cafe_chain": ("amenity=fast_food;cuisine=sandwich", "Sandwich Place", "Sandwiches, Salad, Soup"),
    "bakery": ("shop=bakery", "Bakery", "Bakeries"),
    "bagel": ("amenity=fast_food;cuisine=bagel", "Bagel Shop", "Bagels, Breakfast & Brunch"),
    "donut": ("amenity=cafe;cuisine=donut", "Donut Shop", "Donuts, Coffee & Tea"),
    "pizza": ("amenity=restaurant;cuisine=pizza", "Pizza Place", "Pizza, Italian"),
    "pizza_chain": ("amenity=restaurant;cuisine=pizza", "Pizza Place", "Pizza"),
    "pizza_ff": ("amenity=fast_food;cuisine=pizza", "Pizza Place", "Pizza"),
    "deli": ("shop=deli", "Deli / Bodega", "Delis, Sandwiches"),
    "sandwich_ff": ("amenity=fast_food;cuisine=sandwich", "Sandwich Place", "Sandwiches, Fast Food"),
    "mexican": ("amenity=restaurant;cuisine=mexican", "Mexican Restaurant", "Mexican"),
    "mexican_ff": ("amenity=fast_food;cuisine=mexican", "Mexican Restaurant", "Mexican, Fast Food"),
    "taco_ff": ("amenity=fast_food;cuisine=tex-mex", "Fast Food Restaurant", "Fast Food, Tex-Mex"),
    "food_truck": ("amenity=fast_food;cuisine=mexican", "Food Truck", "Food Trucks, Mexican"),
    "chinese": ("amenity=restaurant;cuisine=chinese", "Chinese Restaurant", "Chinese"),
    "chinese_ff": ("amenity=fast_food;cuisine=chinese", "Chinese Restaurant", "Chinese, Fast Food"),
    "thai": ("amenity=restaurant;cuisine=thai", "Thai Restaurant", "Thai"),
    "japanese": ("amenity=restaurant;cuisine=japanese", "Japanese Restaurant", "Japanese, Steakhouses, Sushi Bars"),
    "sushi": ("amenity=restaurant;cuisine=sushi", "Sushi Restaurant", "Sushi Bars, Japanese"),
    "poke": ("amenity=fast_food;cuisine=poke", "Poke Place", "Poke, Hawaiian"),
    "ramen": ("amenity=restaurant;cuisine=ramen", "Ramen Restaurant", "Ramen, Izakaya"),
    "indian": ("amenity=restaurant;cuisine=indian", "Indian Restaurant", "Indian"),
    "vietnamese": ("amenity=restaurant;cuisine=vietnamese", "Vietnamese Restaurant", "Vietnamese, Noodles"),
    "italian": ("amenity=restaurant;cuisine=italian", "Italian Restaurant", "Italian"),
    "american": ("amenity=restaurant;cuisine=american", "American Restaurant", "American (New)"),
    "diner": ("amenity=restaurant;cuisine=diner", "Diner", "Diners, Breakfast & Brunch"),
    "breakfast": ("amenity=restaurant;cuisine=breakfast", "Breakfast Spot", "Breakfast & Brunch"),
    "bbq": ("amenity=restaurant;cuisine=barbecue", "BBQ Joint", "Barbeque"),
    "greek": ("amenity=restaurant;cuisine=greek", "Greek Restaurant", "Greek, Mediterranean"),
    "mediterranean": ("amenity=restaurant;cuisine=mediterranean", "Mediterranean Restaurant", "Mediterranean, Greek"),
    "seafood": ("amenity=restaurant;cuisine=seafood", "Seafood Restaurant", "Seafood, Fish & Chips"),
    "burger": ("amenity=restaurant;cuisine=burger", "Burger Joint", "Burgers"),
    "burger_ff": ("amenity=fast_food;cuisine=burger", "Fast Food Restaurant", "Fast Food, Burgers"),
    "wings": ("amenity=restaurant;cuisine=wings", "Wings Joint", "Chicken Wings, Sports Bars"),
    "chili": ("amenity=restaurant;cuisine=chili", "American Restaurant", "Hot Dogs, American (Traditional)"),
    "icecream": ("amenity=ice_cream", "Ice Cream Shop", "Ice Cream & Frozen Yogurt"),
    "boba": ("amenity=cafe;cuisine=bubble_tea", "Bubble Tea Shop", "Bubble Tea"),
    "smoothie": ("amenity=fast_food;cuisine=juice", "Smoothie Shop", "Juice Bars & Smoothies"),
    "bar": ("amenity=bar", "Bar", "Bars, Cocktail Bars"),
    "pub": ("amenity=pub", "Pub", "Pubs, American (Traditional)"),
    "brewery": ("amenity=pub;craft=brewery;microbrewery=yes", "Brewery", "Breweries, Brewpubs"),
    "winebar": ("amenity=bar;bar=wine", "Wine Bar", "Wine Bars, American (New)"),
    "hotel": ("tourism=hotel", "Hotel", "Hotels"),
    "library": ("amenity=library", "Library", "Libraries"),
    "post": ("amenity=post_office", "Post Office", "Post Offices"),
    "church": ("amenity=place_of_worship;religion=christian", "Church", "Churches"),
    "finance": ("office=financial_advisor", "Financial or Legal Service", "Investing, Financial Advising"),
    "tax": ("office=tax_advisor", "Tax Preparation Service", "Tax Services"),
    "insurance": ("office=insurance", "Insurance Office", "Insurance"),
    "pt": ("healthcare=physiotherapist", "Physical Therapist", "Physical Therapy"),
    "doctors": ("amenity=doctors;healthcare=doctor", "Doctor's Office", "Family Practice"),
    "doctors_int": ("amenity=doctors;healthcare=doctor", "Doctor's Office", "Internal Medicine"),
    "doctors_ent": ("amenity=doctors;healthcare:speciality=otolaryngology", "Doctor's Office", "Ear Nose & Throat"),
    "womens": ("amenity=doctors;healthcare:speciality=gynaecology", "Doctor's Office", "Obstetricians & Gynecologists"),
    "integrative": ("amenity=doctors;healthcare=alternative", "Alternative Healer", "Naturopathic/Holistic, Family Practice"),
    "naturopath": ("healthcare=alternative;healthcare:speciality=naturopathy", "Alternative Healer", "Naturopathic/Holistic"),
    "acupuncture": ("healthcare=alternative;healthcare:speciality=acupuncture", "Acupuncturist",
                    "Acupuncture, Traditional Chinese Medicine"),
    "optometrist": ("healthcare=optometrist;shop=optician", "Optical Shop", "Optometrists, Eyewear & Opticians"),
    "building": ("building=commercial", "Medical Center", "Medical Centers"),
    "dentist": ("amenity=dentist;healthcare=dentist", "Dentist's Office", "General Dentistry"),
    "ped_dentist": ("amenity=dentist;healthcare=dentist", "Dentist's Office", "Pediatric Dentists"),
    "derm": ("amenity=doctors;healthcare:speciality=dermatology", "Doctor's Office", "Dermatologists"),
    "ortho_med": ("amenity=doctors;healthcare:speciality=orthopaedics", "Doctor's Office", "Orthopedists, Sports Medicine"),
    "pediatrics": ("amenity=doctors;healthcare:speciality=paediatrics", "Doctor's Office", "Pediatricians"),
    "urgent": ("amenity=clinic;healthcare=clinic;urgent_care=yes", "Urgent Care Center", "Urgent Care"),
    "chiro": ("healthcare=chiropractor", "Chiropractor", "Chiropractors"),
    "orthodontist": ("amenity=dentist;healthcare:speciality=orthodontics", "Dentist's Office", "Orthodontists"),
    "massage": ("shop=massage", "Massage Studio", "Massage Therapy"),
    "podiatry": ("amenity=doctors;healthcare:speciality=podiatry", "Podiatrist", "Podiatrists"),
    "counseling": ("healthcare=psychotherapist", "Mental Health Office", "Counseling & Mental Health"),
    "crossfit": ("leisure=fitness_centre;sport=crossfit", "Gym", "Gyms, Boot Camps"),
    "bootcamp": ("leisure=fitness_centre", "Gym", "Boot Camps, Trainers"),
    "boxing": ("leisure=fitness_centre;sport=boxing", "Boxing Gym", "Boxing, Gyms"),
    "cycle": ("leisure=fitness_centre;sport=cycling", "Cycle Studio", "Cycling Classes"),
    "climbing": ("leisure=sports_centre;sport=climbing", "Climbing Gym", "Climbing, Gyms"),
    "gym": ("leisure=fitness_centre", "Gym / Fitness Center", "Gyms, Trainers"),
    "yoga": ("leisure=fitness_centre;sport=yoga", "Yoga Studio", "Yoga"),
    "pilates": ("leisure=fitness_centre;sport=pilates", "Pilates Studio", "Pilates"),
    "barre": ("leisure=fitness_centre;sport=barre", "Gym / Fitness Center", "Barre Classes"),
    "martial": ("leisure=sports_centre;sport=karate", "Martial Arts School", "Martial Arts, Karate"),
    "jiujitsu": ("leisure=sports_centre;sport=judo", "Martial Arts School", "Brazilian Jiu-jitsu, Martial Arts"),
    "dance": ("leisure=dance;dance:teaching=yes", "Dance Studio", "Dance Studios"),
    "bank": ("amenity=bank", "Bank", "Banks & Credit Unions"),
    "atm": ("amenity=atm", "ATM", "Banks & Credit Unions"),
    "pharmacy": ("amenity=pharmacy;healthcare=pharmacy", "Pharmacy", "Drugstores, Pharmacy"),
    "supermarket": ("shop=supermarket", "Grocery Store", "Grocery"),
    "fuel": ("amenity=fuel", "Gas Station", "Gas Stations"),
    "convenience": ("shop=convenience", "Convenience Store", "Convenience Stores"),
    "variety": ("shop=variety_store", "Discount Store", "Discount Store"),
    "hardware": ("shop=hardware", "Hardware Store", "Hardware Stores"),
    "paint": ("shop=paint", "Paint Store", "Paint Stores"),
    "autoparts": ("shop=car_parts", "Automotive Shop", "Auto Parts & Supplies"),
    "pet": ("shop=pet", "Pet Store", "Pet Stores"),
    "grooming": ("shop=pet_grooming", "Pet Service", "Pet Groomers"),
    "florist": ("shop=florist", "Flower Shop", "Florists"),
    "laundry": ("shop=laundry;self_service=yes", "Laundromat", "Laundromat"),
    "drycleaning": ("shop=dry_cleaning", "Laundry Service", "Dry Cleaning & Laundry"),
    "hair": ("shop=hairdresser", "Salon / Barbershop", "Hair Salons"),
    "barber": ("shop=hairdresser;hairdresser=barber", "Salon / Barbershop", "Barbers"),
    "nails": ("shop=beauty;beauty=nails", "Nail Salon", "Nail Salons"),
    "brows": ("shop=beauty;beauty=eyebrows", "Health & Beauty Service", "Eyebrow Services, Waxing"),
    "beauty": ("shop=beauty", "Cosmetics Shop", "Cosmetics & Beauty Supply"),
    "spa": ("shop=beauty;beauty=spa", "Spa", "Day Spas, Massage"),
    "shipping": ("shop=copyshop", "Shipping Store", "Shipping Centers, Printing Services"),
    "phone": ("shop=mobile_phone", "Mobile Phone Shop", "Mobile Phones"),
    "vet": ("amenity=veterinary", "Veterinarian", "Veterinarians"),
    "books": ("shop=books", "Bookstore", "Bookstores"),
    "nutrition": ("shop=nutrition_supplements", "Supplement Shop", "Vitamins & Supplements"),
    "townhall": ("amenity=townhall", "City Hall", "Public Services & Government"),
    "firestation": ("amenity=fire_station", "Fire Station", "Fire Departments"),
    "gov": ("office=government", "Government Building", "Departments of Motor Vehicles"),
    "school": ("amenity=school", "High School", "Middle Schools & High Schools"),
    "elementary": ("amenity=school", "Elementary School", "Elementary Schools"),
    "childcare": ("amenity=childcare", "Daycare", "Child Care & Day Care"),
    "tutoring": ("amenity=prep_school", "Tutoring Service", "Tutoring Centers"),
    "park": ("leisure=park", "Park", "Parks"),
    "marina": ("leisure=marina", "Harbor / Marina", "Boating"),
    "museum": ("tourism=museum", "History Museum", "Museums"),
    "community": ("amenity=community_centre", "Community Center", "Community Centers"),
    "mall": ("shop=mall", "Shopping Mall", "Shopping Centers"),
    "department": ("shop=department_store", "Big Box Store", "Department Stores"),
    "clothes": ("shop=clothes", "Clothing Store", "Department Stores, Discount Store"),
    "sporting": ("shop=sports", "Sporting Goods Shop", "Sporting Goods"),
    "running": ("shop=sports;sport=running", "Sporting Goods Shop", "Shoe Stores, Sporting Goods"),
    "bike": ("shop=bicycle", "Bike Shop", "Bikes, Bike Repair/Maintenance"),
    "games": ("shop=video_games", "Video Game Store", "Videos & Video Game Rental"),
    "mattress": ("shop=bed", "Mattress Store", "Mattresses"),
    "garden": ("shop=garden_centre", "Garden Center", "Nurseries & Gardening"),
    "thrift": ("shop=second_hand", "Thrift / Vintage Store", "Thrift Stores"),
    "vacuum": ("shop=vacuum_cleaner", "Electronics Store", "Appliances & Repair"),
    "jewelry": ("shop=jewelry", "Jewelry Store", "Jewelry"),
    "liquor": ("shop=alcohol", "Liquor Store", "Beer, Wine & Spirits"),
    "tattoo": ("shop=tattoo", "Tattoo Parlor", "Tattoo"),
    "auto": ("shop=car_repair", "Auto Workshop", "Auto Repair"),
    "tires": ("shop=tyres", "Tire Repair Shop", "Tires, Auto Repair"),
    "oilchange": ("shop=car_repair;service:vehicle:oil_change=yes", "Auto Workshop", "Oil Change Stations, Auto Repair"),
    "carwash": ("amenity=car_wash", "Car Wash", "Car Wash"),
    "cinema": ("amenity=cinema", "Movie Theater", "Cinema"),
    "fishmarket": ("shop=seafood", "Fish Market", "Seafood Markets"),
    "office": ("office=association", "Office", "Professional Services"),
    "plumber": ("craft=plumber", "Plumber", "Plumbing"),
    "mobile_massage": ("shop=massage", "Massage Studio", "Massage Therapy"),
    "catering": ("craft=caterer", "Caterer", "Caterers"),
    "club": ("club=sport;sport=running", "Athletics & Sports", "Running"),
    "market": ("amenity=marketplace", "Farmers Market", "Farmers Market"),
    "intersection": ("", "Intersection", ""),
    "home": ("", "Home (private)", ""),
}
# fmt: on

# fmt: off
BRANDS = {
    "starbucks": "starbucks.com", "dunkin": "dunkindonuts.com", "cvs": "cvs.com", "walgreens": "walgreens.com",
    "subway": "subway.com", "mcdonalds": "mcdonalds.com", "chipotle": "chipotle.com", "panera": "panerabread.com",
    "planet": "planetfitness.com", "otf": "orangetheory.com", "anytime": "anytimefitness.com", "chase": "chase.com",
    "fifththird": "53.com", "huntington": "huntington.com", "target": "target.com", "kroger": "kroger.com",
    "greatclips": "greatclips.com", "sportclips": "sportclips.com", "jerseymikes": "jerseymikes.com",
    "bww": "buffalowildwings.com", "wendys": "wendys.com", "tacobell": "tacobell.com", "skyline": "skylinechili.com",
    "donatos": "donatos.com", "bobevans": "bobevans.com", "speedway": "speedway.com", "shell": "shell.us",
    "bp": "bp.com", "ace": "acehardware.com", "aldi": "aldi.us", "dollargeneral": "dollargeneral.com",
    "familydollar": "familydollar.com", "ups": "theupsstore.com", "hrblock": "hrblock.com", "edwardjones": "edwardjones.com",
    "statefarm": "statefarm.com", "allstate": "allstate.com", "gnc": "gnc.com", "verizon": "verizon.com",
    "tmobile": "t-mobile.com", "hampton": "hilton.com", "penn": "pennstation-usa.com", "graeters": "graeters.com",
    "purebarre": "purebarre.com", "mattressfirm": "mattressfirm.com", "fivebelow": "fivebelow.com",
    "sally": "sallybeauty.com", "crunch": "crunch.com", "usps": "usps.com", "libertytax": "libertytax.com",
    "papajohns": "papajohns.com", "jimmyjohns": "jimmyjohns.com", "tropical": "tropicalsmoothiecafe.com",
    "sherwin": "sherwin-williams.com", "autozone": "autozone.com", "gamestop": "gamestop.com",
    "smoothieking": "smoothieking.com", "dutch": "dutchbros.com", "safeway": "safeway.com", "fredmeyer": "fredmeyer.com",
    "bimart": "bimart.com", "lesschwab": "lesschwab.com", "plaid": "plaidpantry.com", "sharis": "sharis.com",
    "burgerville": "burgerville.com", "wellsfargo": "wellsfargo.com", "usbank": "usbank.com", "umpqua": "umpquabank.com",
    "onpoint": "onpointcu.com", "24hour": "24hourfitness.com", "clubpilates": "clubpilates.com",
    "corepower": "corepoweryoga.com", "supercuts": "supercuts.com", "papamurphys": "papamurphys.com",
    "panda": "pandaexpress.com", "jiffylube": "jiffylube.com", "midas": "midas.com", "riteaid": "riteaid.com",
    "blackbear": "blackbeardiner.com", "chevron": "chevron.com", "big5": "big5sportinggoods.com", "ross": "rossstores.com",
    "dollartree": "dollartree.com", "f45": "f45training.com", "jamba": "jamba.com",
}
# fmt: on

# Streets: key -> (full name as OpenStreetMap writes it, abbreviation, axis, coordinate in metres, prefixed).
# axis "EW": the street runs east-west at y = coordinate and numbers grow along x; "NS": runs north-south
# at x = coordinate. Unprefixed streets number 1500 + position; prefixed ones number outward from the
# centre with East/West (or North/South) in front. Even numbers are on the north (east) side.
Street = tuple[str, str, str, float, bool]

AREA1_STREETS: dict[str, Street] = {
    "LIN": ("Lincoln Avenue", "Lincoln Ave", "EW", 1350, False),
    "SPR": ("Spring Street", "Spring St", "EW", 900, False),
    "CHU": ("Church Street", "Church St", "EW", 450, False),
    "MAIN": ("Main Street", "Main St", "EW", 0, True),
    "WAL": ("Walnut Street", "Walnut St", "EW", -450, False),
    "MAP": ("Maple Avenue", "Maple Ave", "EW", -900, False),
    "HAR": ("Harding Road", "Harding Rd", "EW", -1350, False),
    "UNI": ("Union Street", "Union St", "NS", -1350, False),
    "LIB": ("Liberty Street", "Liberty St", "NS", -800, False),
    "HIGH": ("High Street", "High St", "NS", 0, True),
    "STA": ("State Street", "State St", "NS", 550, False),
    "GRA": ("Grant Avenue", "Grant Ave", "NS", 1000, False),
    "PIKE": ("Columbus Pike", "Columbus Pike", "NS", 1400, False),
}

AREA2_STREETS: dict[str, Street] = {
    "THIRD": ("3rd Street", "3rd St", "EW", 1200, False),
    "CEDAR": ("Cedar Street", "Cedar St", "EW", 700, False),
    "TAYLOR": ("Taylor Avenue", "Taylor Ave", "EW", 200, False),
    "PACAVE": ("Pacific Avenue", "Pacific Ave", "EW", -300, False),
    "MARINE": ("Marine Drive", "Marine Dr", "EW", -800, False),
    "LIGHT": ("Lighthouse Road", "Lighthouse Rd", "EW", -1300, False),
    "FRONT": ("Front Street", "Front St", "NS", -1300, False),
    "COMM": ("Commercial Street", "Commercial St", "NS", -750, False),
    "BAY": ("Bay Boulevard", "Bay Blvd", "NS", -200, False),
    "HEM": ("Hemlock Street", "Hemlock St", "NS", 400, False),
    "PHWY": ("Pacific Highway", "Pacific Hwy", "NS", 1100, True),
}

# One line per business: key | presence | kind | OpenStreetMap name | other source's name | street | number |
# suite | flags; a backslash at the end of a line continues it. Presence: B = in both files, O = OpenStreetMap
# only, X = the other source only. An empty other name means the same name as in OpenStreetMap. Flags (";"):
#   chain=BRAND   a chain branch (brand website)          way / big   mapped as an area / set back from the street
#   at=X,Y        true position in metres from the centre  near=KEY    inside another business (a counter, a sub-venue)
#   far           the other source's point sits 320-650 m away along the street (geocoded onto the street); both
#                 sources then carry the phone and the other source the address, so the match stays clear
#   dup=NAME      Foursquare also holds a user-created duplicate venue with that name
#   phone=KEY     shares another business's number          newphone    the other source has a different number
#   web=DOMAIN / tweb=DOMAIN   website in both sources / in the other source only (a renamed business)
#   o+addr o-addr o+phone o-phone o+web t+addr t+phone t-phone t-addr   force a field in (+) or out (-) of a source
#   taddr=TEXT    the other source's address as written    noaddr      service-area business without an address
#   mindbody      the other source's website is a booking-platform link shared by many studios
AREA1_TABLE = """
daily_grind|B|coffee|The Daily Grind|Daily Grind Coffee|HIGH|N112||dup=daily grind
tonys|B|pizza|Tony's Pizzeria|Tony's Pizza|MAIN|E145||
sbux_main1|B|coffee_chain|Starbucks|Starbucks|MAIN|E204||chain=starbucks
sbux_main2|B|coffee_chain|Starbucks|Starbucks - E Main & State|MAIN|E455||chain=starbucks
main_books|B|books|Main Street Books||MAIN|W118||
library|B|library|Marlow Springs Public Library|Marlow Springs Library|CHU|1460||way;big
rusty_nail|B|bar|Rusty Nail Tavern|The Rusty Nail|MAIN|E27||
bangkok|B|thai|Bangkok Kitchen|Bangkok Kitchen Thai Cuisine|HIGH|N210||
olde_mill|B|brewery|Olde Mill Brewing Company|Olde Mill Brewing Co.|SPR|1388||way;far;dup=Olde Mill Brewery
lotus_flow|B|yoga|Lotus Flow Yoga|Lotus Flow Yoga Studio|HIGH|N318|2nd Floor|mindbody
core_balance|B|pilates|Core Balance Pilates|Core Balance Pilates & Barre|HIGH|S140||
chase_main|B|bank|Chase|Chase Bank|MAIN|E100||chain=chase;taddr=E Main St & High St
huntington|B|bank|Huntington Bank|The Huntington National Bank|MAIN|W402||chain=huntington
fifth_main|B|bank|Fifth Third Bank||MAIN|E620||chain=fifththird
fifth_pike|B|bank|Fifth Third Bank|Fifth Third Bank - Columbus Pike|PIKE|2105||chain=fifththird
cvs_high|B|pharmacy|CVS Pharmacy|CVS pharmacy|HIGH|N448||chain=cvs
walgreens|B|pharmacy|Walgreens||HIGH|N471||chain=walgreens
cvs_pike|B|pharmacy|CVS Pharmacy|CVS pharmacy - Columbus Pike|PIKE|1210||chain=cvs
greek_corner|B|greek|The Greek Corner|Greek Corner Cafe|MAIN|E233||
copper_kettle|B|cafe|Copper Kettle Cafe|Copper Kettle Café|MAIN|W215||
cup_saucer|B|coffee|Cup & Saucer Cafe|Saucer Coffee Bar|STA|1588||o+phone;t+phone;tweb=saucercoffeebar.com
marlow_hotel|B|hotel|The Marlow Hotel|Marlow Hotel|MAIN|E310||way
copper_room|X|bar|-|The Copper Room|MAIN|E310||near=marlow_hotel;phone=marlow_hotel;t+phone
harvest_table|B|american|Harvest Table|Harvest Table Kitchen & Bar|MAIN|E352||
mama_rosa|B|italian|Mama Rosa's Kitchen|Mama Rosa's|MAIN|W260||
blue_plate|B|diner|The Blue Plate Diner|Blue Plate Diner|HIGH|S235||
spoke_chain|B|bike|Spoke & Chain Bicycles|Spoke and Chain Bicycles|HIGH|S318||
stride|B|running|Stride Running Co.|Stride Running Company|MAIN|W173||
running_club|X|club|-|Marlow Springs Running Club|MAIN|W173||near=stride;t-phone
main_barber|B|barber|Main Street Barber Co.|Main St. Barber Company|MAIN|W305||
taphouse|B|bar|Spring Street Tap House|Spring St. Taphouse|SPR|1455||
post_office|B|post|Marlow Springs Post Office|US Post Office|CHU|1561||chain=usps
presbyterian|B|church|First Presbyterian Church|First Presbyterian Church of Marlow Springs|CHU|1620||way
edjones_olsen|B|finance|Edward Jones - Mark Olsen|Edward Jones - Financial Advisor: Mark Olsen, AAMS™|HIGH|N255||chain=edwardjones
edjones_liu|X|finance|-|Edward Jones - Financial Advisor: Karen Liu|PIKE|2040|Ste 3|chain=edwardjones
hr_block|B|tax|H&R Block||PIKE|2040|Ste 5|chain=hrblock
pinnacle_pt|B|pt|Pinnacle Physical Therapy|Pinnacle Physical Therapy - Marlow Springs|MAIN|E880|Ste B|
marlow_dpc|B|doctors|Marlow Direct Primary Care|Marlow DPC|STA|1830|Ste 102|o+phone;t+phone
sage_integrative|B|integrative|Sage Integrative Medicine||WAL|1270||far
heartland_nd|O|naturopath|Heartland Naturopathic Clinic|-|LIB|1710||
liberty_fp|B|doctors|Liberty Family Practice||LIB|1296||
liberty_deli|B|deli|Liberty Street Deli|Liberty St Deli|LIB|1622||far
marlow_eye|B|optometrist|Marlow Eye Care|Marlow Eye Care & Optical|MAIN|E1040||
med_arts|B|building|Marlow Medical Arts Building|Medical Arts Building|SPR|1020||way;at=-480,955;t-phone
mh_family|B|doctors|Marlow Health Family Medicine||SPR|1020|Ste 100|at=-492,945;web=marlowhealth.org
spring_dental|B|dentist|Spring Street Dental|Spring Street Dental Care|SPR|1020|Ste 120|at=-470,944
heartland_derm|B|derm|Heartland Dermatology||SPR|1020|Ste 210|at=-486,962
mh_ortho|B|ortho_med|Marlow Health Orthopedics|Marlow Health Orthopedics & Sports Medicine|SPR|1020|Ste 300|\
at=-474,966;web=marlowhealth.org
buckeye_peds|X|pediatrics|-|Buckeye Pediatrics|SPR|1020|Ste 220|at=-480,958
central_ent|O|doctors_ent|Central Ohio ENT|-|SPR|1020|Ste 310|at=-466,958
optimal_pt|B|pt|Optimal Physical Therapy|Optimal PT & Sports Rehab|SPR|1020|Ste 130|at=-496,952;o+phone;t+phone
mh_urgent|B|urgent|Marlow Health Urgent Care||PIKE|1412||web=marlowhealth.org
grant_chiro|B|chiro|Grant Avenue Chiropractic|Grant Ave Chiropractic|GRA|2710|Ste A|at=1040,1200
statefarm|B|insurance|State Farm Insurance - Dana Whitfield|Dana Whitfield - State Farm Insurance Agent|GRA|2710|Ste B|\
at=1040,1210;chain=statefarm
bright_smiles|B|orthodontist|Bright Smiles Orthodontics|Bright Smiles Orthodontics - Dr. Paul Kim|GRA|2710|Ste C|at=1040,1220
serenity_massage|O|massage|Serenity Massage Therapy|-|GRA|2710|Ste D|at=1040,1230
moreno_do|X|doctors|-|Dr. Lisa Moreno, DO|GRA|2710|Ste E|at=1045,1236
ironclad|B|crossfit|CrossFit Ironclad|Ironclad CrossFit|UNI|1180||mindbody
knockout|B|boxing|Knockout Boxing Club|Knockout Boxing|WAL|1985||far
spin_society|X|cycle|-|Spin Society|MAIN|E760|Ste 110|mindbody
summit_climbing|B|climbing|Summit Climbing|Summit Climbing Gym|UNI|1410||way;big
ymca|B|gym|Marlow Family YMCA|Marlow Springs YMCA|MAP|1290||way;big
hot_yoga|O|yoga|Hot Yoga Marlow|-|HIGH|N760||
anytime_high|B|gym|Anytime Fitness||HIGH|S1130||chain=anytime
anytime_walnut|O|gym|Anytime Fitness|-|WAL|2225||chain=anytime;o+addr
karate|B|martial|Marlow Springs Martial Arts|Marlow Springs Karate & Martial Arts|STA|1155||
zen_den|X|yoga|-|Zen Den Yoga|LIN|1745|Ste 4|
dance_school|B|dance|Marlow School of Dance|Marlow School of Dance & Performing Arts|LIN|1620||
casa_fiesta|B|mexican|Casa Fiesta|Casa Fiesta Mexican Restaurant|MAIN|W330||
el_toro|B|mexican|El Toro Loco||PIKE|1740||
michoacana|O|icecream|La Michoacana|-|MAIN|W640||
golden_dragon|B|chinese|Golden Dragon|Golden Dragon Chinese Restaurant|MAIN|W755||
wok_n_roll|X|chinese|-|Wok N Roll|PIKE|1985||
sakura|O|sushi|Sakura Sushi|-|STA|2210||o+addr;o+phone
poke_bowl|X|poke|-|Poke Bowl Co.|STA|2210||t+phone
himalayan|B|indian|Himalayan Grill|Himalayan Grill Indian Cuisine|MAIN|E512||
pho88|B|vietnamese|Pho 88|Pho 88 Vietnamese Noodle House|PIKE|1880||
smoke_barrel|B|bbq|Smoke & Barrel BBQ|Smoke and Barrel Barbecue|GRA|1725||
marlow_pizza|X|pizza|-|Marlow Pizza House|WAL|1640||
jersey_mikes|B|sandwich_ff|Jersey Mike's Subs||PIKE|2250|Ste 140|at=1500,700;chain=jerseymikes
chipotle|B|mexican_ff|Chipotle|Chipotle Mexican Grill|PIKE|2250|Ste 150|at=1505,690;chain=chipotle
panera|B|cafe_chain|Panera Bread||PIKE|2250|Ste 160|at=1510,680;chain=panera
bww|B|wings|Buffalo Wild Wings||PIKE|2190||chain=bww
wendys|B|burger_ff|Wendy's||PIKE|1560||chain=wendys
taco_bell|B|taco_ff|Taco Bell||PIKE|1655||chain=tacobell
mcd_pike|B|burger_ff|McDonald's||PIKE|1815||chain=mcdonalds
mcd_main|O|burger_ff|McDonald's|-|MAIN|W1190||chain=mcdonalds;o+addr
skyline|B|chili|Skyline Chili||PIKE|2420||chain=skyline
penn_station|B|sandwich_ff|Penn Station|Penn Station East Coast Subs|PIKE|2250|Ste 120|at=1490,720;chain=penn
graeters|B|icecream|Graeter's|Graeter's Ice Cream|MAIN|E388||chain=graeters
sweet_spot|B|bakery|Sweet Spot Bakery||HIGH|N147||
crumb|O|bakery|Crumb & Co.|-|CHU|1735||
sunrise_cafe|X|breakfast|-|Sunrise Café|HIGH|S612||
hideaway|O|bar|Hideaway Lounge|-|WAL|1512||
ichiban|B|japanese|Ichiban Hibachi & Sushi|Ichiban Hibachi Steakhouse & Sushi Bar|PIKE|2290||
bob_evans|B|american|Bob Evans||PIKE|1470||chain=bobevans
donatos|B|pizza_chain|Donatos|Donatos Pizza|HIGH|N905||chain=donatos
nonnas|O|italian|Nonna's Trattoria|-|LIN|1510||
burger_barn|X|burger|-|Burger Barn|MAP|1330||
subway_main|B|sandwich_ff|Subway||MAIN|E730||chain=subway
subway_pike|B|sandwich_ff|Subway|Subway - Columbus Pike|PIKE|2215||chain=subway
subway_speedway|X|sandwich_ff|-|Subway|PIKE|1620||chain=subway;near=speedway
speedway|B|fuel|Speedway||PIKE|1620||chain=speedway
shell|B|fuel|Shell||MAIN|E1385||chain=shell
bp|O|fuel|BP|-|HAR|2280||chain=bp
dunkin_main|B|donut|Dunkin'|Dunkin' Donuts|MAIN|W540||chain=dunkin
dunkin_pike|B|donut|Dunkin'||PIKE|2580||chain=dunkin
kroger|B|supermarket|Kroger|Kroger Marketplace|PIKE|2241||way;big;chain=kroger
kroger_pharmacy|X|pharmacy|-|Kroger Pharmacy|PIKE|2241||near=kroger;chain=kroger;t+phone
chase_atm|X|atm|-|Chase ATM|PIKE|2241||near=kroger;chain=chase;t-phone
kroger_fuel|B|fuel|Kroger Fuel|Kroger Fuel Center|PIKE|2301||chain=kroger
aldi|B|supermarket|Aldi|ALDI|HAR|2610||way;chain=aldi
dg_main|B|variety|Dollar General||MAIN|W1120||chain=dollargeneral
dg_walnut|O|variety|Dollar General|-|WAL|651||chain=dollargeneral;o+addr
family_dollar|O|variety|Family Dollar|-|MAP|1050||chain=familydollar
ace|B|hardware|Marlow Ace Hardware|Ace Hardware|MAIN|W905||chain=ace
paws_claws|B|pet|Paws & Claws Pet Supply|Paws and Claws Pet Supply|STA|1340||
bloom|B|florist|Bloom Floral Studio|Bloom Floral|HIGH|N388||far
spin_cycle|X|laundry|-|Spin Cycle Laundromat|MAP|1820||
shear_elegance|B|hair|Shear Elegance Salon|Shear Elegance|MAIN|W470||
polished|X|nails|-|Polished Nail Bar|PIKE|2250|Ste 130|at=1495,710
luxe_nails|B|nails|Luxe Nails|Luxe Nails & Spa|PIKE|1990||
ups_store|B|shipping|The UPS Store||PIKE|2040|Ste 1|chain=ups
verizon|X|phone|-|Verizon|PIKE|2250|Ste 180|at=1525,665;chain=verizon
tmobile|O|phone|T-Mobile|-|PIKE|1990||chain=tmobile
animal_hospital|B|vet|Marlow Springs Animal Hospital||GRA|1460||
walnut_vet|X|vet|-|Walnut Street Veterinary Clinic|WAL|2390||
second_chapter|O|books|Second Chapter Books|-|CHU|1810||
gnc|O|nutrition|GNC|-|PIKE|2250|Ste 170|at=1520,672;chain=gnc
city_hall|O|townhall|Marlow Springs City Hall|-|MAIN|W55||way
st_brigid|O|church|St. Brigid Catholic Church|-|LIN|1205||way
high_school|B|school|Marlow Springs High School||HAR|1840||way;big
vets_park|B|park|Veterans Memorial Park|Veterans Park|MAP|1560||way;big
farmers_market|X|market|-|Marlow Springs Farmers Market|MAP|1560||near=vets_park;t-phone
community_center|B|community|Marlow Springs Community Center||MAP|1730||way
commons|B|mall|Marlow Commons|Marlow Commons Shopping Center|PIKE|2250||way;at=1560,760
target|B|department|Target||PIKE|2250||way;at=1600,820;chain=target
sbux_target|X|coffee_chain|-|Starbucks - Target|PIKE|2250||near=target;chain=starbucks
planet|B|gym|Planet Fitness||PIKE|2250|Ste 200|at=1540,830;chain=planet;dup=Planet Fitness Marlow Springs
otf|B|gym|Orangetheory Fitness|Orangetheory Fitness Marlow Springs|PIKE|2250|Ste 210|at=1525,812;chain=otf
pure_barre|X|barre|-|Pure Barre|PIKE|2250|Ste 215|at=1530,818;chain=purebarre
great_clips_mall|B|hair|Great Clips||PIKE|2250|Ste 190|at=1528,655;chain=greatclips
sport_clips|B|hair|Sport Clips|Sport Clips Haircuts|PIKE|2250|Ste 195|at=1535,650;chain=sportclips
great_clips_pike|B|hair|Great Clips||PIKE|1225||chain=greatclips
five_below|O|variety|Five Below|-|PIKE|2250|Ste 220|at=1600,720;chain=fivebelow
mattress_firm|X|mattress|-|Mattress Firm|PIKE|2250|Ste 230|at=1610,700;chain=mattressfirm
sally|O|beauty|Sally Beauty|-|PIKE|2250|Ste 185|at=1520,660;chain=sally
gamestop|X|games|-|GameStop|PIKE|2250|Ste 240|at=1615,690;chain=gamestop
gold_standard|O|gym|Gold Standard Gym|-|PIKE|1345||o+addr;o+phone
crunch|X|gym|-|Crunch Fitness|PIKE|1345||chain=crunch;t+phone
hampton|B|hotel|Hampton Inn & Suites|Hampton Inn & Suites Marlow Springs|PIKE|1530||way;chain=hampton
lincoln_pharmacy|O|pharmacy|Lincoln Avenue Pharmacy|-|LIN|1888||
ms_dental_group|O|dentist|Marlow Springs Dental Group|-|SPR|1905|Ste 2|o+addr
blue_sky_dental|X|ped_dentist|-|Blue Sky Pediatric Dentistry|SPR|1905|Ste 4|
urban_roots|O|hair|Urban Roots Salon|-|HIGH|N640||
iron_rose|O|tattoo|Iron Rose Tattoo|-|MAIN|E911||
harding_auto|O|auto|Harding Road Auto Repair|-|HAR|1915||
cinema|O|cinema|Marlow Cinema 8|-|PIKE|2660||way;big
main_wine|O|liquor|Main Street Wine & Spirits|-|MAIN|E585||
hartman|O|jewelry|Hartman Jewelers|-|MAIN|W161||
allstate|O|insurance|Allstate - Ron Bishop|-|HIGH|N702||chain=allstate
little_sprouts|O|childcare|Little Sprouts Learning Center|-|WAL|1188||
spring_cleaners|O|drycleaning|Spring Street Cleaners|-|SPR|1710||
motion_works|O|pt|Motion Works Physical Therapy|-|STA|2410||
heartland_dpc|O|doctors|Heartland Direct Primary Care|-|GRA|2205||
synergy_chiro|O|chiro|Synergy Chiropractic|-|MAP|2150||
union_bagels|O|bagel|Union Street Bagels|-|UNI|1610||
steamworks|O|coffee|Steamworks Coffee|-|LIN|1566||
fire_station|O|firestation|Marlow Springs Fire Department Station 1|-|HIGH|S810||way
grace_lutheran|O|church|Grace Lutheran Church|-|SPR|2210||way
kumon|O|tutoring|Kumon Math & Reading Center|-|GRA|2160||
vision_center|O|optometrist|Marlow Springs Vision Center|-|GRA|1905||
happy_tails|O|grooming|Happy Tails Grooming|-|MAP|2045||
main_dental|O|dentist|Main Street Dental|-|MAIN|W930||
chamber|O|office|Marlow Springs Area Chamber of Commerce|-|MAIN|W190||
heritage_bank|O|bank|Heritage Savings Bank|-|MAIN|E815||
car_wash|O|carwash|Columbus Pike Car Wash|-|PIKE|1075||
home_venue|X|home|-|Home|MAP|1420||t-addr;t-phone
intersection|X|intersection|-|Main St & High St|MAIN|E5||at=0,0;t-addr;t-phone
thai_basil|X|thai|-|Thai Basil|CHU|1290||
fusion_sushi|X|sushi|-|Fusion Sushi & Grill|PIKE|2320||
forge_bootcamp|X|bootcamp|-|Forge Fitness Bootcamp|GRA|2340||
ms_urgent|X|urgent|-|Marlow Springs Urgent Care|HAR|2050||
elevate_chiro|X|chiro|-|Elevate Chiropractic & Wellness|HIGH|S520||
rise_bakehouse|X|bakery|-|Rise Bakehouse|HIGH|N585||
pour_house|X|bar|-|The Pour House|MAIN|E950||
tropical|X|smoothie|-|Tropical Smoothie Cafe|PIKE|2040|Ste 7|chain=tropical
jimmy_johns|X|sandwich_ff|-|Jimmy John's|PIKE|1420||chain=jimmyjohns
papa_johns|X|pizza_ff|-|Papa John's Pizza|MAIN|W880||chain=papajohns
sherwin|X|paint|-|Sherwin-Williams Paint Store|PIKE|1150||chain=sherwin
autozone|X|autoparts|-|AutoZone Auto Parts|PIKE|1100||chain=autozone
bmv|X|gov|-|Marlow Springs BMV|STA|1480||
lavender_spa|X|spa|-|Lavender Day Spa|CHU|1335||
brew_brothers|X|coffee|-|Brew Brothers Coffee|UNI|2120||
walnut_pub|X|pub|-|Walnut Street Pub|WAL|1322||
nail_pro|X|nails|-|Nail Pro|LIN|1970||
liberty_tax|X|tax|-|Liberty Tax|LIB|1480||chain=libertytax
smoothie_king|X|smoothie|-|Smoothie King|PIKE|1880||chain=smoothieking
"""

AREA2_TABLE = """
joes_pizza|B|pizza|Joe's Pizza|Joe's Pizza & Pasta|COMM|1622||
lucky_star|B|chinese|Lucky Star|Lucky Star Chinese Restaurant|PHWY|N215||
thai_orchid|B|thai|Thai Orchid|Thai Orchid Restaurant|BAY|1735||
el_sol_front|B|mexican|Taqueria El Sol||FRONT|1290||
el_sol_hwy|B|mexican|Taqueria El Sol|Taqueria El Sol #2|PHWY|S410||
riverside_grill|B|american|Riverside Grill|Riverside Grill & Tap|FRONT|1502||
riverside_inn|B|hotel|Riverside Inn|The Riverside Inn|FRONT|1560||way
anchor_pub|B|pub|The Anchor Pub|Anchor Pub & Eatery|FRONT|1655||
rusty_anchor|O|bar|Rusty Anchor Saloon|-|FRONT|1980||
pho_saigon|B|vietnamese|Pho Saigon||PHWY|N880||
saigon_noodle|X|vietnamese|-|Saigon Noodle House|PHWY|N880||t+phone
pho_viet|O|vietnamese|Pho Viet|-|PACAVE|1500||
bluebird|B|bakery|Bluebird Bakery|Bluebird Bakery & Cafe|COMM|1741||
mill_race|B|brewery|Mill Race Brewing|Mill Race Brewing Co|FRONT|1420||way
mill_race_tap|B|bar|Mill Race Brewing Taproom|Mill Race Brewing - Taproom|PHWY|N1050||web=millracebrewing.com
ellery_roasters|B|coffee|Ellery Coffee Roasters||COMM|1580||
black_bear|B|diner|Black Bear Diner||PHWY|S120||chain=blackbear
gyro_express|B|mediterranean|Gyro Express|Gyro Express Mediterranean Grill|TAYLOR|1820||
sushi_kaze|B|sushi|Sushi Kaze|Sushi Kaze Japanese Restaurant|TAYLOR|1355||
la_bonita|B|mexican|La Bonita|La Bonita Mexican Restaurant & Cantina|PACAVE|2130||
nanas_kitchen|B|breakfast|Nana's Kitchen||BAY|1290||
olive_vine|B|winebar|Olive & Vine|Olive and Vine Wine Bar & Bistro|COMM|1499||
burger_shack|O|burger|Burger Shack|-|MARINE|2210||
tandoor|B|indian|Tandoor House|Tandoor House Indian Cuisine|PHWY|N390||
smokin_oak|B|bbq|Smokin' Oak BBQ|Smokin Oak Barbecue|MARINE|1980||far
cascade_bagel|B|bagel|Cascade Bagel Co.|Cascade Bagel Company|BAY|1612||
donut_hole|B|donut|Donut Hole|The Donut Hole|HEM|1442||
kiko_ramen|B|ramen|Kiko Ramen|Kiko Ramen & Izakaya|COMM|1815||
fish_chips|B|seafood|Front Street Fish & Chips|Front St Fish and Chips|FRONT|1733||
hop_yard|B|bar|Hop Yard Taproom|The Hop Yard|CEDAR|1266||
velvet|X|bar|-|Velvet Lounge|COMM|1402||
dutch_north|B|coffee_drive|Dutch Bros Coffee||PHWY|N560||chain=dutch
dutch_south|O|coffee_drive|Dutch Bros Coffee|-|PHWY|S690||chain=dutch;o+addr
sbux_comm1|B|coffee_chain|Starbucks||COMM|1540||chain=starbucks
sbux_comm2|B|coffee_chain|Starbucks||COMM|1791||chain=starbucks
sbux_hwy|B|coffee_chain|Starbucks||PHWY|N705||chain=starbucks
sbux_safeway|X|coffee_chain|-|Starbucks|PHWY|N1120||near=safeway;chain=starbucks
safeway|B|supermarket|Safeway||PHWY|N1120||way;big;chain=safeway
safeway_pharmacy|X|pharmacy|-|Safeway Pharmacy|PHWY|N1120||near=safeway;chain=safeway;t+phone
fred_meyer|B|supermarket|Fred Meyer||PHWY|S980||way;big;chain=fredmeyer
fred_meyer_fuel|B|fuel|Fred Meyer Fuel Center||PHWY|S1050||chain=fredmeyer
bimart|B|department|Bi-Mart||PHWY|N1290||way;chain=bimart
les_schwab|B|tires|Les Schwab Tires|Les Schwab Tire Center|PHWY|S255||chain=lesschwab
plaid_taylor|B|convenience|Plaid Pantry||TAYLOR|2011||chain=plaid
plaid_cedar|O|convenience|Plaid Pantry|-|CEDAR|705||chain=plaid;o+addr
sharis|B|american|Shari's|Shari's Cafe & Pies|PHWY|S530||chain=sharis
burgerville|B|burger_ff|Burgerville||PHWY|N450||chain=burgerville
taco_bell|B|taco_ff|Taco Bell||PHWY|S805||chain=tacobell
mcdonalds|B|burger_ff|McDonald's||PHWY|N1345||chain=mcdonalds
subway_comm|B|sandwich_ff|Subway||COMM|1455||chain=subway
subway_mall|X|sandwich_ff|-|Subway|PHWY|N640|Ste 104|at=1205,628;chain=subway
chase|B|bank|Chase|Chase Bank|BAY|1510||chain=chase
wells_fargo|B|bank|Wells Fargo|Wells Fargo Bank|COMM|1515||chain=wellsfargo
us_bank|B|bank|U.S. Bank|U.S. Bank Branch|PHWY|N300||chain=usbank
umpqua|B|bank|Umpqua Bank||COMM|1660||chain=umpqua
onpoint|B|bank|OnPoint Community Credit Union||PHWY|N760||chain=onpoint
walgreens|B|pharmacy|Walgreens||PHWY|N20||chain=walgreens
rite_aid|B|pharmacy|Rite Aid|Rite Aid Pharmacy|COMM|1902||chain=riteaid
fitness24|B|gym|24 Hour Fitness||PHWY|S300||way;chain=24hour
planet|B|gym|Planet Fitness||PHWY|N640|Ste 120|at=1230,610;chain=planet
anytime_bay|B|gym|Anytime Fitness||BAY|1965||chain=anytime
anytime_hem|O|gym|Anytime Fitness|-|HEM|1720||chain=anytime;o+addr
otf|B|gym|Orangetheory Fitness||PHWY|N640|Ste 130|at=1240,600;chain=otf
club_pilates|B|pilates|Club Pilates||PHWY|N640|Ste 140|at=1250,595;chain=clubpilates
corepower|B|yoga|CorePower Yoga|CorePower Yoga - Port Ellery|COMM|1688||chain=corepower
ellery_yoga|B|yoga|Ellery Yoga Collective||BAY|1855|Ste 2|
riverfront_crossfit|B|crossfit|Riverfront CrossFit|CrossFit Riverfront|FRONT|2040||way
barre_belle|X|barre|-|Barre Belle Studio|HEM|1610||t+phone
curves|O|gym|Curves|-|HEM|1610||o+addr;o+phone
ironworks|B|boxing|Ironworks Boxing|Ironworks Boxing & Fitness|CEDAR|1725||
cascade_climbing|B|climbing|Cascade Climbing Center||MARINE|1590||way;big
athletic_club|B|gym|Port Ellery Athletic Club||TAYLOR|2450||way;big
bayside|B|gym|Bayside Fitness|Bayside Strength & Conditioning|COMM|1398|Ste B|o+phone;t+phone
ride_cycle|X|cycle|-|Ride Cycle Studio|COMM|1900||
ev_family|B|doctors|Ellery Valley Family Medicine||CEDAR|1890|Ste 100|at=380,742
cascade_peds|B|pediatrics|Cascade Pediatrics||CEDAR|1890|Ste 110|at=396,744
evergreen_nd|B|naturopath|Evergreen Naturopathic Clinic|Evergreen Naturopathic Medicine|CEDAR|1890|Ste 200|at=388,752
valley_ortho|O|orthodontist|Valley Orthodontics|-|CEDAR|1890|Ste 210|at=400,750
bridgeview|B|optometrist|Bridgeview Eye Care||CEDAR|1890|Ste 220|at=384,758
ellery_ped_dentistry|X|ped_dentist|-|Ellery Pediatric Dentistry|CEDAR|1890|Ste 230|at=398,756
womens_health|X|womens|-|Port Ellery Women's Health|CEDAR|1890|Ste 300|at=392,760
oduya|X|doctors_int|-|Karen Oduya, MD|CEDAR|1890|Ste 330|at=392,760
harbor_pt|B|pt|Harbor Physical Therapy|Harbor Physical Therapy & Sports Medicine|CEDAR|1890|Ste 120|at=376,748
medical_plaza|O|building|Valley Medical Plaza|-|CEDAR|1890||way;at=390,750
pe_urgent|B|urgent|Port Ellery Urgent Care|Port Ellery Urgent Care Clinic|PHWY|N820||
riverside_dental|B|dentist|Riverside Dental|Riverside Dental Care|FRONT|1390||
bright_path|B|orthodontist|Bright Path Orthodontics||BAY|1580|Ste 3|
cascade_chiro|B|chiro|Cascade Chiropractic|Cascade Chiropractic & Wellness|HEM|1925||
summit_dpc|B|doctors|Summit Direct Primary Care|Summit DPC|BAY|2105|Ste 101|o+phone;t+phone
ev_derm|B|derm|Ellery Valley Dermatology||HEM|2010|Ste 200|
bay_dental|B|dentist|Bay Boulevard Dental|Bay Blvd Dental|BAY|1366|Ste A|
bay_chiro|X|chiro|-|Bay Blvd Chiropractic|BAY|1366|Ste C|
pe_vet|B|vet|Port Ellery Veterinary Hospital||PACAVE|1740||
tidewater|B|massage|Tidewater Massage|Tidewater Massage & Bodywork|COMM|1370|Ste 4|
mobile_massage|X|mobile_massage|-|Evergreen Mobile Massage||||noaddr
pro_flow|X|plumber|-|Pro Flow Plumbing & Drain||||noaddr
rosemary_thyme|X|catering|-|Rosemary & Thyme Catering||||noaddr
ellery_acupuncture|B|acupuncture|Ellery Acupuncture|Ellery Acupuncture & Herbs|TAYLOR|1490||
pe_hardware|B|hardware|Port Ellery Hardware|Port Ellery True Value Hardware|COMM|1950||
paper_moon|B|books|Paper Moon Books||COMM|1605||
second_wind|O|thrift|Second Wind Thrift|-|HEM|1390||
ridge_runner|B|running|Ridge Runner Running Co.|Ridge Runner Running Company|BAY|1724||
petal_stem|B|florist|Petal & Stem|Petal and Stem Florist|COMM|1720||
bark_avenue|B|grooming|Bark Avenue Grooming|Bark Avenue Pet Grooming|TAYLOR|1960||
pacific_pet|B|pet|Pacific Pet Supply||PHWY|N640|Ste 150|at=1262,600
salon_lux|B|hair|Salon Lux|Salon Lux Hair Studio|BAY|1460||
glow_nails|B|nails|Glow Nail Spa|Glow Nails & Spa|PHWY|N640|Ste 110|at=1215,620
zen_nails|X|nails|-|Zen Nails|PHWY|N640|Ste 180|at=1290,625
sharp_edge|B|barber|Sharp Edge Barbershop|Sharp Edge Barber Shop|COMM|1473||
serenity_spa|O|spa|Serenity Day Spa|-|CEDAR|1545||
jiffy_lube|B|oilchange|Jiffy Lube||PHWY|S715||chain=jiffylube
ellery_auto|B|auto|Ellery Auto Repair|Port Ellery Auto Repair & Service|PACAVE|2355||o+phone;t+phone
pe_tire|X|tires|-|Port Ellery Tire & Auto|PACAVE|2410||t+phone
midas|O|auto|Midas|-|PHWY|S1185||chain=midas
great_clips|B|hair|Great Clips||PHWY|N640|Ste 160|at=1270,610;chain=greatclips
supercuts|B|hair|Supercuts||PHWY|S560||chain=supercuts
papa_murphys|B|pizza_ff|Papa Murphy's|Papa Murphy's Take 'N' Bake Pizza|PHWY|N640|Ste 170|at=1280,620;chain=papamurphys
jimmy_johns|B|sandwich_ff|Jimmy John's||TAYLOR|2560||chain=jimmyjohns
panda|B|chinese_ff|Panda Express||PHWY|N665||chain=panda
crossing|B|mall|Ellery Crossing|Ellery Crossing Shopping Center|PHWY|N640||way;at=1240,620;t-phone
library|B|library|Port Ellery Public Library|Port Ellery Library|TAYLOR|1350||way
post_office|B|post|Port Ellery Post Office|US Post Office|TAYLOR|1622||chain=usps
cinema|B|cinema|Riverfront Cinema 6|Riverfront Cinemas|FRONT|1905||way
museum|B|museum|Port Ellery Maritime Museum||FRONT|1810||way
waterfront_park|B|park|Waterfront Park||FRONT|1600||way;big
city_hall|O|townhall|Port Ellery City Hall|-|TAYLOR|1555||way
fire_station|O|firestation|Port Ellery Fire Department Station 1|-|CEDAR|1100||way
st_anne|O|church|St. Anne Catholic Church|-|THIRD|1700||way
first_baptist|O|church|First Baptist Church|-|CEDAR|1340||way
elementary|O|elementary|Ellery Elementary School|-|THIRD|2100||way;big
marina|O|marina|Riverfront Marina|-|FRONT|1250||way;big
laundromat|O|laundry|Bay Boulevard Laundromat|-|BAY|1146||
cedar_market|O|convenience|Cedar Street Market|-|CEDAR|1830||
chevron|O|fuel|Chevron|-|PHWY|S1400||chain=chevron
hemlock_dental|O|dentist|Hemlock Street Dental|-|HEM|1888||
ellery_pt|O|pt|Ellery Physical Therapy|-|COMM|2110||
river_city_chiro|O|chiro|River City Chiropractic|-|PACAVE|1610||
tiny_tots|O|childcare|Tiny Tots Daycare|-|HEM|1060||
blossom|O|florist|Blossom Floral|-|MARINE|2030||
sweet_cream|O|icecream|Sweet Cream Creamery|-|FRONT|1700||
grindstone|O|coffee|Grindstone Coffee|-|BAY|2240||
nori_sushi|O|sushi|Nori Sushi|-|PHWY|N930||
dance_academy|O|dance|Port Ellery Dance Academy|-|CEDAR|2150||
mat_masters|O|jiujitsu|Mat Masters Jiu-Jitsu|-|HEM|2260||
iron_temple|O|gym|Iron Temple Gym|-|MARINE|2450||
yoga_loft|O|yoga|The Yoga Loft|-|THIRD|1455|Ste 2|
ellery_optical|O|optometrist|Ellery Optical|-|COMM|1565||
riverside_animal|O|vet|Riverside Animal Clinic|-|MARINE|1300||
vacuum_sewing|O|vacuum|Ellery Vacuum & Sewing|-|COMM|1888||
big5|O|sporting|Big 5 Sporting Goods|-|PHWY|N640|Ste 230|at=1300,600;chain=big5
ross|O|clothes|Ross Dress for Less|-|PHWY|N640||way;at=1290,650;chain=ross
crust_crumb|X|pizza|-|Crust & Crumb Pizzeria|HEM|1805||
happy_garden|X|chinese|-|Happy Garden Chinese Restaurant|PACAVE|1260||
el_mariachi|X|mexican|-|El Mariachi Grill|PHWY|S880||
noodle_box|X|chinese|-|Noodle Box|CEDAR|1455||
salty_gull|X|bar|-|The Salty Gull|FRONT|1855||
pe_family_dentistry|X|dentist|-|Port Ellery Family Dentistry|TAYLOR|1705|Ste 1|
align_chiro|X|chiro|-|Align Chiropractic|MARINE|1720||
smile_studio|X|dentist|-|Ellery Smile Studio|CEDAR|2020||
top_notch|X|barber|-|Top Notch Barbers|TAYLOR|1606||
arch_brow|X|brows|-|Arch & Brow Studio|BAY|1440||
tailwind|X|bike|-|Tailwind Bicycles|COMM|1844||
cedar_tattoo|X|tattoo|-|Cedar Street Tattoo|CEDAR|1610||
boba_bliss|X|boba|-|Boba Bliss|COMM|1612||
hemlock_deli|X|deli|-|Hemlock Street Deli|HEM|1250||
sunrise_donuts|X|donut|-|Sunrise Donuts|PHWY|S1240||
wild_fern|X|cafe|-|Wild Fern Cafe|BAY|1822||
cascade_massage|X|massage|-|Cascade Massage Therapy|HEM|2085||
riverbend_nd|X|naturopath|-|Riverbend Naturopathic Medicine|TAYLOR|1180||
pe_pilates|X|pilates|-|Port Ellery Pilates|THIRD|1520||
statefarm|X|insurance|-|Lisa Nguyen - State Farm Insurance Agent|PHWY|N200||chain=statefarm
hr_block|X|tax|-|H&R Block|PHWY|N640|Ste 190|at=1296,612;chain=hrblock
verizon|X|phone|-|Verizon|PHWY|N640|Ste 200|at=1300,618;chain=verizon
ups_store|X|shipping|-|The UPS Store|PHWY|N640|Ste 210|at=1304,624;chain=ups
dollar_tree|X|variety|-|Dollar Tree|PHWY|N640|Ste 220|at=1310,630;chain=dollartree
los_compadres|X|food_truck|-|Taqueria Los Compadres|PACAVE|1820||
fish_market|X|fishmarket|-|Marine Drive Fish Market|MARINE|1400||
lighthouse_espresso|X|coffee|-|Lighthouse Espresso|LIGHT|1705||
cedar_creek_cafe|B|cafe|Cedar Creek Cafe|Cedar Creek Café & Bakery|CEDAR|1388||far
taylor_tavern|B|pub|Taylor Avenue Tavern|Taylor Ave Tavern|TAYLOR|1688||
luigis|B|italian|Luigi's Trattoria|Luigi's Italian Restaurant & Bar|BAY|2010||
wild_rye|B|bakery|Wild Rye Bread Co.|Wild Rye Bread Company|HEM|1555||
f45|B|gym|F45 Training|F45 Training Port Ellery|PHWY|S455||chain=f45
heat_yoga|B|yoga|Heat Yoga Studio|Heat Yoga|THIRD|1610||
nw_foot|B|podiatry|Northwest Foot & Ankle Clinic|Northwest Foot and Ankle|TAYLOR|1875|Ste 3|
willow_creek|B|counseling|Willow Creek Counseling|Willow Creek Counseling Center|CEDAR|1985|Ste 5|
lighthouse_dental|B|dentist|Lighthouse Dental|Lighthouse Dental Care|LIGHT|1820||far
grain_grape|B|liquor|Grain & Grape Bottle Shop|Grain and Grape|COMM|1436||
feed_garden|B|garden|Port Ellery Feed & Garden|Port Ellery Feed and Garden Supply|MARINE|2320||way
suds_duds|B|laundry|Suds & Duds Laundromat|Suds and Duds Laundry|PACAVE|1930||
ellery_fcu|B|bank|Ellery Federal Credit Union|Ellery Federal Credit Union - Main Branch|TAYLOR|1410||way
acupuncture_far|B|acupuncture|Stillwater Acupuncture|Stillwater Acupuncture Clinic|MARINE|1745|Ste 2|far
senior_center|O|community|Port Ellery Senior Center|-|TAYLOR|1280||way
grace_church|O|church|Grace Community Church|-|MARINE|1850||way
hot_slice|O|pizza|Hot Slice Pizza|-|MARINE|2110||
taylor_dental|O|dentist|Taylor Avenue Dental|-|TAYLOR|1930|Ste 2|
hemlock_barber|O|barber|Hemlock Street Barber|-|HEM|1330||
lucky_star_express|X|chinese_ff|-|Lucky Star Express|PHWY|S1120||
jamba|X|smoothie|-|Jamba|PHWY|N640|Ste 240|at=1316,636;chain=jamba
cedar_coffee|X|coffee|-|Cedar Street Coffee|CEDAR|1950||
pacific_chiro|X|chiro|-|Pacific Family Chiropractic|PACAVE|2040||
"""


@dataclass(frozen=True)
class Area:
    """A fictional town and the second source its OpenStreetMap extract is matched against."""

    other: str
    city: str
    state: str
    lat0: float
    lon0: float
    area_codes: tuple[str, ...]
    zips: tuple[str, str]  # north and south of y = 0
    streets: dict[str, Street]
    table: str
    mall: tuple[float, float]  # centre of the shopping centre's lot, in metres
    mall_address: tuple[str, str]
    seed: int
    osm_address: float  # share of OpenStreetMap rows with an address
    osm_phone: float
    web_word: str  # the word some local businesses add to their domain
    civic_site: str  # the town's website, shared by its library, parks, community centre...
    school_site: str


# fmt: off
AREAS: dict[str, Area] = {
    "poi_osm_foursquare": Area(
        other="foursquare", city="Marlow Springs", state="OH", lat0=40.2301, lon0=-82.8712,
        area_codes=("740", "740", "740", "614"), zips=("43178", "43179"), streets=AREA1_STREETS, table=AREA1_TABLE,
        mall=(1560.0, 760.0), mall_address=("PIKE", "2250"), seed=SEED + 1, osm_address=0.4, osm_phone=0.2,
        web_word="marlow", civic_site="marlowspringsoh.gov", school_site="marlowschools.org",
    ),
    "poi_osm_yelp": Area(
        other="yelp", city="Port Ellery", state="OR", lat0=45.0521, lon0=-122.7815,
        area_codes=("503", "503", "971"), zips=("97388", "97389"), streets=AREA2_STREETS, table=AREA2_TABLE,
        mall=(1240.0, 620.0), mall_address=("PHWY", "N640"), seed=SEED + 2, osm_address=0.45, osm_phone=0.22,
        web_word="ellery", civic_site="portelleryor.gov", school_site="ellerysd.org",
    ),
}
# fmt: on

POI_COLUMNS = ["id", "name", "latitude", "longitude", "address", "city", "state", "postcode", "phone", "website", "categories"]
PREFIX_WORDS = {"E": "East", "W": "West", "N": "North", "S": "South"}


class Business:
    """One fictional business of a POI table."""

    def __init__(self, line: str) -> None:
        fields = line.split("|")
        if len(fields) != 9:
            raise ValueError(f"bad table line: {line}")
        (self.key, self.presence, self.kind, self.osm_name, other_name, self.street, self.num, self.suite, flag_text) = fields
        self.other_name = other_name or self.osm_name
        if self.presence not in {"B", "O", "X"} or self.kind not in KINDS:
            raise ValueError(f"bad presence or kind: {line}")
        self.flags: dict[str, str] = {}
        for item in filter(None, flag_text.split(";")):
            name, _, value = item.partition("=")
            self.flags[name] = value
        if self.has("far"):  # a point geocoded onto the street needs an address; the phones make the match clear
            self.flags.update({"t+addr": "", "o+phone": "", "t+phone": ""})
        self.pos = (0.0, 0.0)
        self.phone = ""
        self.domain = ""

    def has(self, flag: str) -> bool:
        return flag in self.flags


def _frontage(streets: dict[str, Street], street: str, num: str) -> tuple[float, float, float, float]:
    """Point on the street side for a house number, and the unit normal pointing away from the street."""
    _full, _short, axis, coord, prefixed = streets[street]
    if prefixed:
        n = int(num[1:])
        along = float(n if num[0] in "EN" else -n)
    else:
        n = int(num)
        along = float(n - 1500)
    side = 1.0 if n % 2 == 0 else -1.0
    if axis == "EW":
        return along, coord + side * 18, 0.0, side
    return coord + side * 18, along, side, 0.0


def _address(streets: dict[str, Street], street: str, num: str, *, full: bool, number: bool = True) -> str:
    full_name, short_name, _axis, _coord, prefixed = streets[street]
    digits = num[1:] if prefixed else num
    prefix = ""
    if prefixed:
        prefix = (PREFIX_WORDS[num[0]] if full else num[0]) + " "
    text = prefix + (full_name if full else short_name)
    return f"{digits} {text}" if number else text


def _suite(suite: str, rng: random.Random) -> str:
    if not suite.startswith("Ste "):
        return suite
    unit = suite[4:]
    return rng.choices([f"Ste {unit}", f"Suite {unit}", f"#{unit}"], weights=[6, 2, 2])[0]


def _latlon(area: Area, x: float, y: float) -> tuple[float, float]:
    return area.lat0 + y / 111_320, area.lon0 + x / (111_320 * math.cos(math.radians(area.lat0)))


def _slug(name: str) -> str:
    text = name.lower().replace("&", "and")
    text = re.sub(r"^the ", "", text)
    return re.sub(r"[^a-z0-9]", "", text)


def _offset(rng: random.Random, lo: float, hi: float) -> tuple[float, float]:
    r = rng.uniform(lo, hi)
    angle = rng.uniform(0, 2 * math.pi)
    return r * math.cos(angle), r * math.sin(angle)


def _place(area: Area, businesses: list[Business], rng: random.Random) -> None:
    streets = area.streets
    by_key = {b.key: b for b in businesses}
    for b in businesses:
        if b.has("noaddr"):
            b.pos = (rng.uniform(-900, 900), rng.uniform(-900, 900))  # works from home: the address is hidden
        elif "at" in b.flags:
            x, y = (float(v) for v in b.flags["at"].split(","))
            b.pos = (x, y)
        elif not b.has("near"):
            x, y, nx, ny = _frontage(streets, b.street, b.num)
            setback = rng.uniform(50, 110) if b.has("big") else rng.uniform(0, 8)
            slide = rng.uniform(-6, 6)
            b.pos = (x + nx * setback + ny * slide, y + ny * setback + nx * slide)
    for b in businesses:
        if b.has("near"):
            host = by_key[b.flags["near"]]
            dx, dy = _offset(rng, 8, 25)
            b.pos = (host.pos[0] + dx, host.pos[1] + dy)


def _other_point(area: Area, b: Business, rng: random.Random, yelp: bool) -> tuple[float, float]:
    streets = area.streets
    if b.has("noaddr"):
        dx, dy = _offset(rng, 0, 40)  # the town's centre: the listing hides the address
        return dx, dy
    if b.has("far"):
        _full, _short, axis, coord, _prefixed = streets[b.street]
        shift = rng.uniform(320, 650)
        if axis == "EW":
            along = b.pos[0]
            return along - math.copysign(shift, along or 1.0), coord
        along = b.pos[1]
        return coord, along - math.copysign(shift, along or 1.0)
    if (b.street, b.num) == area.mall_address and rng.random() < 0.4:
        mx, my = area.mall
        dx, dy = _offset(rng, 0, 12)
        return mx + dx, my + dy  # placed on the shopping centre, not the storefront
    if b.has("chain"):
        lo, hi = 3.0, 55.0
    elif b.has("big") or b.has("way"):
        lo, hi = 30.0, 150.0
    else:
        u = rng.random()
        lo, hi = (3.0, 40.0) if u < 0.6 else (40.0, 110.0) if u < 0.9 else (110.0, 170.0)
    if yelp:
        lo, hi = lo * 0.8, hi * 0.8
    dx, dy = _offset(rng, lo, hi)
    return b.pos[0] + dx, b.pos[1] + dy


def _fmt_point(lat: float, lon: float, rng: random.Random, style: str) -> list[str]:
    if style == "osm":
        return [f"{lat:.7f}", f"{lon:.7f}"]
    if rng.random() < 0.5:
        return [f"{lat:.6f}", f"{lon:.6f}"]
    digits = rng.choice([12, 13, 14])
    return [repr(round(lat, digits)), repr(round(lon, digits))]


def _fmt_phone(digits: str, style: str, rng: random.Random) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    if style == "osm":
        return rng.choices(
            [f"+1 {a}-{b}-{c}", f"+1-{a}-{b}-{c}", f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"+1 {a} {b} {c}"],
            weights=[50, 15, 15, 10, 10],
        )[0]
    if style == "foursquare":
        return f"({a}) {b}-{c}" if rng.random() < 0.8 else digits
    return f"+1{digits}"


def _site(b: Business, style: str, rng: random.Random, domain: str) -> str:
    if domain.startswith("facebook.com/"):
        return f"https://www.{domain}/"
    if style == "osm":
        if b.has("chain") and rng.random() < 0.4:
            return f"https://www.{domain}/locations/{rng.randrange(1000, 99999)}"
        return rng.choices([f"https://www.{domain}/", f"https://{domain}/", f"http://www.{domain}"], weights=[5, 3, 2])[0]
    return f"http://www.{domain}" if rng.random() < 0.7 else f"https://{domain}"


def _new_id(rng: random.Random, style: str, way: bool = False) -> str:
    if style == "osm":
        return f"way/{rng.randrange(20_000_000, 1_250_000_000)}" if way else f"node/{rng.randrange(300_000_000, 11_800_000_000)}"
    if style == "foursquare":
        return rng.choice("45") + "".join(rng.choice("0123456789abcdef") for _ in range(23))
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(22))


CIVIC_KINDS = {"townhall", "library", "park", "community", "firestation"}
AGGREGATORS = ("facebook.com", "mindbodyonline.com")


def _domain(url: str) -> str:
    host = re.sub(r"^https?://", "", url).split("/")[0]
    return host.removeprefix("www.")


def _corroborated(osm_row: list[str], address: str, phone: str, website: str) -> bool:
    """Whether an OpenStreetMap row and the other source's fields share a phone, a numbered address or a website."""
    osm_address, osm_phone, osm_website = osm_row[4], osm_row[8], osm_row[9]
    if osm_phone and phone and re.sub(r"\D", "", osm_phone)[-10:] == re.sub(r"\D", "", phone)[-10:]:
        return True
    if osm_address[:1].isdigit() and address[:1].isdigit() and osm_address.split(maxsplit=1)[0] == address.split(maxsplit=1)[0]:
        return True
    domain = _domain(website)
    return bool(osm_website and website and _domain(osm_website) == domain and not domain.endswith(AGGREGATORS))


def write_poi_set(slug: str) -> None:
    area = AREAS[slug]
    rng = random.Random(area.seed)
    other = area.other
    streets = area.streets
    businesses = [Business(line) for line in area.table.strip().splitlines()]
    keys = [b.key for b in businesses]
    if len(keys) != len(set(keys)):
        raise ValueError(f"{slug}: duplicate keys {[k for k, n in Counter(keys).items() if n > 1]}")
    by_key = {b.key: b for b in businesses}
    _place(area, businesses, rng)
    used: set[str] = set()
    for b in businesses:
        b.phone = _new_number(rng, rng.choice(area.area_codes), used)
        if "web" in b.flags:
            b.domain = b.flags["web"]
        elif b.kind in CIVIC_KINDS:
            b.domain = area.civic_site
        elif b.kind in {"school", "elementary"}:
            b.domain = area.school_site
        elif "chain" in b.flags:
            b.domain = BRANDS[b.flags["chain"]]
        else:
            base = _slug(b.osm_name if b.presence != "X" else b.other_name)
            if rng.random() < 0.12:
                b.domain = f"facebook.com/{base}{rng.choice(['', area.web_word])}"
            else:
                suffix = area.web_word if rng.random() < 0.3 and area.web_word not in base else ""
                b.domain = base + suffix + ".com"
    for b in businesses:
        if "phone" in b.flags:
            b.phone = by_key[b.flags["phone"]].phone
    city, state, zips = area.city, area.state, area.zips
    osm_rows: list[list[str]] = []
    other_rows: list[list[str]] = []
    truth: list[list[str]] = []

    def postcode(y: float) -> str:
        return zips[0] if y >= 0 else zips[1]

    for b in businesses:
        tags, fsq_category, yelp_categories = KINDS[b.kind]
        chain = b.has("chain")
        if b.presence in {"B", "O"}:
            x, y = b.pos[0] + rng.gauss(0, 3), b.pos[1] + rng.gauss(0, 3)
            lat, lon = _latlon(area, x, y)
            address = row_city = row_state = row_zip = ""
            has_address = b.has("o+addr") or (not b.has("o-addr") and rng.random() < area.osm_address)
            if has_address and b.street:
                if not b.has("o+addr") and rng.random() < 0.08:
                    address = _address(streets, b.street, b.num, full=True, number=False)
                else:
                    address = _address(streets, b.street, b.num, full=True)
                    if b.suite and rng.random() < 0.25:
                        address += ", " + b.suite.replace("Ste ", "Suite ")
                row_city = city if rng.random() < 0.65 else ""
                row_state = state if rng.random() < 0.5 else ""
                if rng.random() < 0.6:
                    row_zip = postcode(b.pos[1]) + (f"-{rng.randrange(1000, 9999)}" if rng.random() < 0.08 else "")
            p_phone = area.osm_phone + (0.12 if chain else 0.0)
            has_phone = b.has("o+phone") or (not b.has("o-phone") and rng.random() < p_phone)
            phone = _fmt_phone(b.phone, "osm", rng) if has_phone else ""
            has_web = b.has("o+web") or rng.random() < (0.5 if chain else 0.25)
            website = _site(b, "osm", rng, b.domain) if has_web else ""
            row_id = _new_id(rng, "osm", way=b.has("way"))
            osm_point = (x, y)
            osm_rows.append(
                [
                    row_id,
                    b.osm_name,
                    *_fmt_point(lat, lon, rng, "osm"),
                    address,
                    row_city,
                    row_state,
                    row_zip,
                    phone,
                    website,
                    tags,
                ]
            )
            truth.append(["osm", row_id, b.key])
        if b.presence in {"B", "X"}:
            yelp = other == "yelp"
            x, y = _other_point(area, b, rng, yelp)
            address = ""
            if "taddr" in b.flags:
                address = b.flags["taddr"]
            elif (
                b.street
                and not b.has("t-addr")
                and not b.has("noaddr")
                and (b.has("t+addr") or rng.random() < (0.97 if yelp else 0.9))
            ):
                address = _address(streets, b.street, b.num, full=False)
                if b.suite and rng.random() < (0.85 if yelp else 0.6):
                    address += " " + _suite(b.suite, rng)
            row_city = city if yelp or rng.random() < 0.95 else ""
            if yelp and rng.random() < 0.04:
                row_city = "Pt. Ellery"
            row_state = state if yelp or rng.random() < 0.93 else ""
            row_zip = ""
            if not b.has("t-addr") and (yelp or rng.random() < 0.85):
                row_zip = postcode(b.pos[1])
                if rng.random() < 0.05:
                    row_zip = zips[1] if row_zip == zips[0] else zips[0]
            digits = b.phone
            if b.has("newphone"):
                digits = _new_number(rng, rng.choice(area.area_codes), used)
            has_phone = b.has("t+phone") or (not b.has("t-phone") and rng.random() < (0.85 if yelp else 0.75))
            phone = _fmt_phone(digits, other, rng) if has_phone else ""
            website = ""
            if not yelp:
                if b.has("mindbody"):
                    website = f"https://clients.mindbodyonline.com/classic/ws?studioid={rng.randrange(10000, 999999)}"
                elif "tweb" in b.flags:
                    website = _site(b, other, rng, b.flags["tweb"])
                elif b.kind not in {"home", "intersection"} and rng.random() < (0.65 if chain else 0.5):
                    website = _site(b, other, rng, b.domain)
            lonely = b.presence == "B" and not b.has("far") and not _corroborated(osm_rows[-1], address, phone, website)
            if lonely and math.dist(osm_point, (x, y)) > 120:
                # Nothing but the name and the point tie the two rows: keep the point close enough for a careful
                # reader to agree they are one place.
                dx, dy = _offset(rng, 3, 100)
                x, y = b.pos[0] + dx, b.pos[1] + dy
            lat, lon = _latlon(area, x, y)
            category = yelp_categories if yelp else fsq_category
            row_id = _new_id(rng, other)
            other_rows.append(
                [
                    row_id,
                    b.other_name,
                    *_fmt_point(lat, lon, rng, other),
                    address,
                    row_city,
                    row_state,
                    row_zip,
                    phone,
                    website,
                    category,
                ]
            )
            truth.append([other, row_id, b.key])
        if "dup" in b.flags:  # a user-created second venue for the same place, with few fields
            dx, dy = _offset(rng, 15, 70)
            lat, lon = _latlon(area, b.pos[0] + dx, b.pos[1] + dy)
            address = _address(streets, b.street, b.num, full=False, number=rng.random() < 0.5) if rng.random() < 0.5 else ""
            row_id = _new_id(rng, other)
            other_rows.append(
                [
                    row_id,
                    b.flags["dup"],
                    *_fmt_point(lat, lon, rng, other),
                    address,
                    city if rng.random() < 0.7 else "",
                    state if rng.random() < 0.7 else "",
                    "",
                    "",
                    "",
                    fsq_category,
                ]
            )
            truth.append([other, row_id, b.key])
    osm_rows.sort(key=lambda row: (row[0].split("/")[0], int(row[0].split("/")[1])))
    rng.shuffle(other_rows)
    out = HERE / slug
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("osm", osm_rows), (other, other_rows)):
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(POI_COLUMNS)
            writer.writerows(rows)
    order = {row[0]: i for i, row in enumerate(osm_rows + other_rows)}
    truth.sort(key=lambda row: (row[0] != "osm", order[row[1]]))
    _write_truth(out, truth)


# --------------------------------------------------------------------------------------------------
# 3. Checks and figures
# --------------------------------------------------------------------------------------------------
SETS = ("restaurant_guides", "poi_osm_foursquare", "poi_osm_yelp")


def _metres(a: dict[str, str], b: dict[str, str]) -> float:
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (a["latitude"], a["longitude"], b["latitude"], b["longitude"]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().split(" - ")[0].split(" (")[0])


def check(slug: str, verbose: bool) -> None:
    folder = HERE / slug
    records: dict[tuple[str, str], dict[str, str]] = {}
    for path in sorted(folder.glob("*.csv")):
        if path.name == "truth.csv":
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        ids = [row["id"] for row in rows]
        if len(ids) != len(set(ids)):
            raise SystemExit(f"{path}: duplicate ids")
        for row in rows:
            records[(path.stem, row["id"])] = row
        print(f"{slug}/{path.name}: {len(rows)} rows")
    with (folder / "truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = [(row["source"], row["id"], row["entity"]) for row in csv.DictReader(handle)]
    seen = Counter((source, rid) for source, rid, _entity in truth)
    if set(seen) != set(records) or any(n != 1 for n in seen.values()):
        raise SystemExit(f"{slug}: truth does not list every (source, id) exactly once")
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for source, rid, entity in truth:
        groups[entity].append((source, rid))
    cross = within = 0
    distances: list[float] = []
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a[0] == b[0]:
                    within += 1
                else:
                    cross += 1
                    if "latitude" in records[a]:
                        distances.append(_metres(records[a], records[b]))
    sizes = Counter(len(m) for m in groups.values())
    print(
        f"{slug}: {len(groups)} entities, {cross} true cross-source pairs, {within} within-file duplicate pairs, "
        f"entity sizes {dict(sorted(sizes.items()))}"
    )
    if distances:
        distances.sort()
        print(
            f"  matched-pair distance: median {statistics.median(distances):.0f} m, 90th pct "
            f"{distances[int(0.9 * len(distances))]:.0f} m, max {distances[-1]:.0f} m, "
            f"{sum(d > 300 for d in distances)} pairs over 300 m"
        )
    entity_of = {(s, r): e for s, r, e in truth}
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ref, row in records.items():
        by_name[_plain(row["name"])].append(ref)
    negatives = []
    for refs in by_name.values():
        for i, a in enumerate(refs):
            for b in refs[i + 1 :]:
                if a[0] != b[0] and entity_of[a] != entity_of[b]:
                    gap = f"{_metres(records[a], records[b]):.0f} m" if "latitude" in records[a] else ""
                    negatives.append(f"{records[a]['name']!r} / {records[b]['name']!r} {gap}".strip())
    print(f"  cross-source pairs with the same name that are different businesses: {len(negatives)}")
    if verbose:
        for text in sorted(negatives):
            print("    " + text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check the files on disk")
    parser.add_argument("--verbose", action="store_true", help="list the same-name hard negatives")
    args = parser.parse_args()
    if not args.check:
        write_restaurant_guides(HERE / "restaurant_guides")
        for slug in AREAS:
            write_poi_set(slug)
    for slug in SETS:
        check(slug, args.verbose)


if __name__ == "__main__":
    main()
