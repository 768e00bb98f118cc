"""Segment dictionaries for the D96A and D01B directories (the segments EANCOM uses).

One line per segment in a compact notation, compiled by :mod:`.model`:
elements are separated by ``;``; a simple element is ``REF STATUS FORMAT``, a composite
``REF STATUS[component|component|...]`` whose components are ``REF STATUS FORMAT``.
STATUS is ``M`` or ``C``; FORMAT as in the UN directories (``an..35``, ``n..15``, ``a3``).
"""

from __future__ import annotations

_D96A: dict[str, str] = {
    "UNH": "0062 M an..14; S009 M[0065 M an..6|0052 M an..3|0054 M an..3|0051 M an..2"
    "|0057 C an..6]; 0068 C an..35; S010 C[0070 M n..2|0073 C a1]",
    "UNT": "0074 M n..6; 0062 M an..14",
    "UNS": "0081 M a1",
    "BGM": "C002 C[1001 C an..3|1131 C an..3|3055 C an..3|1000 C an..35]; 1004 C an..35;"
    " 1225 C an..3; 4343 C an..3",
    "DTM": "C507 M[2005 M an..3|2380 C an..35|2379 C an..3]",
    "PAI": "C534 M[4439 C an..3|4431 C an..3|4461 C an..3|1131 C an..3|3055 C an..3|4435 C an..3]",
    "ALI": "3239 C an..3; 9213 C an..3; 4183 C an..3; 4183 C an..3; 4183 C an..3;"
    " 4183 C an..3; 4183 C an..3",
    "IMD": "7077 C an..3; C272 C[7081 C an..3|1131 C an..3|3055 C an..3];"
    " C273 C[7009 C an..17|1131 C an..3|3055 C an..3|7008 C an..35|7008 C an..35"
    "|3453 C an..3]; 7383 C an..3",
    "FTX": "4451 M an..3; 4453 C an..3; C107 C[4441 M an..17|1131 C an..3|3055 C an..3];"
    " C108 C[4440 M an..70|4440 C an..70|4440 C an..70|4440 C an..70|4440 C an..70];"
    " 3453 C an..3",
    "RFF": "C506 M[1153 M an..3|1154 C an..35|1156 C an..6|4000 C an..35]",
    "NAD": "3035 M an..3; C082 C[3039 M an..35|1131 C an..3|3055 C an..3];"
    " C058 C[3124 M an..35|3124 C an..35|3124 C an..35|3124 C an..35|3124 C an..35];"
    " C080 C[3036 M an..35|3036 C an..35|3036 C an..35|3036 C an..35|3036 C an..35"
    "|3045 C an..3]; C059 C[3042 M an..35|3042 C an..35|3042 C an..35|3042 C an..35];"
    " 3164 C an..35; 3229 C an..9; 3251 C an..9; 3207 C an..3",
    "LOC": "3227 M an..3; C517 C[3225 C an..25|1131 C an..3|3055 C an..3|3224 C an..70];"
    " C519 C[3223 C an..25|1131 C an..3|3055 C an..3|3222 C an..70];"
    " C553 C[3233 C an..25|1131 C an..3|3055 C an..3|3232 C an..70]; 5479 C an..3",
    "FII": "3035 M an..3; C078 C[3194 C an..17|3192 C an..35|3192 C an..35];"
    " C088 C[3433 C an..11|1131 C an..3|3055 C an..3|3434 C an..17|1131 C an..3"
    "|3055 C an..3|3432 C an..70|3436 C an..70]; 3207 C an..3",
    "CTA": "3139 C an..3; C056 C[3413 C an..17|3412 C an..35]",
    "COM": "C076 M[3148 M an..512|3155 M an..3]",
    "DOC": "C002 M[1001 C an..3|1131 C an..3|3055 C an..3|1000 C an..35];"
    " C503 C[1004 C an..35|1373 C an..3|1366 C an..70|3453 C an..3]; 3153 C an..3;"
    " 1220 C n..2; 1218 C n..2",
    "TAX": "5283 M an..3; C241 C[5153 C an..3|1131 C an..3|3055 C an..3|5152 C an..35];"
    " C533 C[5289 M an..6|1131 C an..3|3055 C an..3]; 5286 C an..15;"
    " C243 C[5279 C an..7|1131 C an..3|3055 C an..3|5278 C an..17]; 5305 C an..3;"
    " 3446 C an..20",
    "MOA": "C516 M[5025 M an..3|5004 C n..18|6345 C an..3|6343 C an..3|4405 C an..3]",
    "CUX": "C504 C[6347 M an..3|6345 C an..3|6343 C an..3|6348 C n..4];"
    " C504 C[6347 M an..3|6345 C an..3|6343 C an..3|6348 C n..4]; 5402 C n..12;"
    " 6341 C an..3",
    "PAT": "4279 M an..3; C110 C[4277 C an..17|1131 C an..3|3055 C an..3|4276 C an..35"
    "|4276 C an..35]; C112 C[2475 M an..3|2009 C an..3|2151 C an..3|2152 C n..3]",
    "PCD": "C501 M[5245 M an..3|5482 M n..10|5249 C an..3|1131 C an..3|3055 C an..3]",
    "RNG": "6167 M an..3; C280 C[6411 M an..3|6162 C n..18|6152 C n..18]",
    "RTE": "C128 M[5419 M an..3|5420 M n..15|5284 C n..9|6411 C an..3]",
    "TDT": "8051 M an..3; 8028 C an..17; C220 C[8067 C an..3|8066 C an..17];"
    " C228 C[8179 C an..8|8178 C an..17]; C040 C[3127 C an..17|1131 C an..3"
    "|3055 C an..3|3128 C an..35]; 8101 C an..3; C401 C[8457 M an..3|8459 M an..3"
    "|7130 C an..17]; C222 C[8213 C an..9|1131 C an..3|3055 C an..3|8212 C an..35"
    "|8453 C an..3]; 8281 C an..3",
    "TOD": "4055 C an..3; 4215 C an..3; C100 C[4053 C an..3|1131 C an..3|3055 C an..3"
    "|4052 C an..70|4052 C an..70]",
    "PAC": "7224 C n..8; C531 C[7075 C an..3|7233 C an..3|7073 C an..3];"
    " C202 C[7065 C an..17|1131 C an..3|3055 C an..3|7064 C an..35];"
    " C402 C[7077 M an..3|7064 M an..35|7143 C an..3|7064 C an..35|7143 C an..3];"
    " C532 C[8395 C an..3|8393 C an..3]",
    "MEA": "6311 M an..3; C502 C[6313 C an..3|6321 C an..3|6155 C an..17|6154 C an..70];"
    " C174 C[6411 M an..3|6314 C an..18|6162 C n..18|6152 C n..18|6432 C n..2];"
    " 7383 C an..3",
    "HAN": "C524 C[4079 C an..3|1131 C an..3|3055 C an..3|4078 C an..70];"
    " C218 C[7419 C an..7|1131 C an..3|3055 C an..3]",
    "PCI": "4233 C an..3; C210 C[7102 M an..35|7102 C an..35|7102 C an..35|7102 C an..35"
    "|7102 C an..35|7102 C an..35|7102 C an..35|7102 C an..35|7102 C an..35"
    "|7102 C an..35]; 8275 C an..3; C827 C[7511 M an..3|1131 C an..3|3055 C an..3]",
    "GIN": "7405 M an..3; C208 M[7402 M an..35|7402 C an..35];"
    " C208 C[7402 M an..35|7402 C an..35]; C208 C[7402 M an..35|7402 C an..35];"
    " C208 C[7402 M an..35|7402 C an..35]; C208 C[7402 M an..35|7402 C an..35]",
    "GIR": "7297 M an..3; C206 M[7402 M an..35|7405 C an..3|4405 C an..3];"
    " C206 C[7402 M an..35|7405 C an..3|4405 C an..3];"
    " C206 C[7402 M an..35|7405 C an..3|4405 C an..3];"
    " C206 C[7402 M an..35|7405 C an..3|4405 C an..3];"
    " C206 C[7402 M an..35|7405 C an..3|4405 C an..3]",
    "LIN": "1082 C an..6; 1229 C an..3; C212 C[7140 C an..35|7143 C an..3|1131 C an..3"
    "|3055 C an..3]; C829 C[5495 C an..3|1082 C an..6]; 1222 C n..2; 7083 C an..3",
    "PIA": "4347 M an..3; C212 M[7140 C an..35|7143 C an..3|1131 C an..3|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..3|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..3|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..3|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..3|3055 C an..3]",
    "QTY": "C186 M[6063 M an..3|6060 M n..15|6411 C an..3]",
    "QVR": "C279 C[6064 M n..15|6063 C an..3]; 4221 C an..3; C960 C[4295 C an..3"
    "|1131 C an..3|3055 C an..3|4294 C an..35]",
    "PRI": "C509 C[5125 M an..3|5118 C n..15|5375 C an..3|5387 C an..3|5284 C n..9"
    "|6411 C an..3]; 5213 C an..3",
    "APR": "4043 C an..3; C960 C[4295 C an..3|1131 C an..3|3055 C an..3|4294 C an..35];"
    " C138 C[5394 M n..12|5393 C an..3]",
    "CPS": "7164 M an..12; 7166 C an..12; 7075 C an..3",
    "CNT": "C270 M[6069 M an..3|6066 M n..18|6411 C an..3]",
    "ERC": "C901 M[9321 M an..8|1131 C an..3|3055 C an..3]",
    "ALC": "5463 M an..3; C552 C[1230 C an..35|5189 C an..3]; 4471 C an..3; 1227 C an..3;"
    " C214 C[7161 C an..3|1131 C an..3|3055 C an..3|7160 C an..35|7160 C an..35]",
    "SCC": "4017 M an..3; 4493 C an..3; C329 C[2013 C an..3|2015 C an..3|2017 C an..3]",
    "RCS": "7293 M an..3; C550 C[7295 M an..17|1131 C an..3|3055 C an..3|7294 C an..35];"
    " 1229 C an..3",
    "EQD": "8053 M an..3; C237 C[8260 C an..17|1131 C an..3|3055 C an..3|3207 C an..3];"
    " C224 C[8155 C an..10|1131 C an..3|3055 C an..3|8154 C an..35]; 8077 C an..3;"
    " 8249 C an..3; 8169 C an..3",
    "DLM": "4455 C an..3; C522 C[4401 M an..3|2023 C an..3|4403 C an..35|4400 C an..3];"
    " C214 C[7161 C an..3|1131 C an..3|3055 C an..3|7160 C an..35|7160 C an..35];"
    " 4457 C an..3",
    "SEL": "9308 M an..10; C215 C[9303 C an..3|1131 C an..3|3055 C an..3|9302 C an..35];"
    " 4517 C an..3",
    "SGP": "C237 M[8260 M an..17|1131 C an..3|3055 C an..3|3207 C an..3]; 7224 C n..8",
    "DGS": "8273 C an..3; C205 C[8351 M an..7|8078 C an..7|8092 C an..10];"
    " C234 C[7124 C n4|7088 C an..8]; C223 C[7106 C n3|6411 C an..3]; 8339 C an..3;"
    " 8364 C an..6; 8410 C an..4; 8126 C an..10; C235 C[8158 C an..4|8186 C an..4];"
    " C236 C[8246 C an..4|8246 C an..4|8246 C an..4]; 8255 C an..3; 8325 C an..3;"
    " 8211 C an..3",
    "INP": "C849 C[3301 M an..35|3285 C an..35]; C522 C[4401 M an..3|2023 C an..3"
    "|4403 C an..35|4400 C an..3]; C851 C[4405 M an..3|3405 C an..3];"
    " 1229 C an..3",
    # INVRPT inventory details; PRICAT product group (what a seller publishes)
    "INV": "4501 C an..3; 7491 C an..3; 4499 C an..3; 4503 C an..3; C522 C[4403 M an..3"
    "|4401 C an..3|1131 C an..3|3055 C an..3|4400 C an..35]",
    "PGI": "5379 M an..3; C288 C[5389 C an..25|1131 C an..3|3055 C an..3|5388 C an..35]",
    "STS": "C601 C[9015 M an..3|1131 C an..3|3055 C an..3]; C555 C[4405 M an..3"
    "|1131 C an..3|3055 C an..3|4404 C an..35]; C556 C[9013 M an..3|1131 C an..3"
    "|3055 C an..3|9012 C an..35]",
}

# D01B differs from D96A in a few segments the EANCOM messages use: BGM carries the
# document identifier as composite C106, RFF and QTY allow longer values, NAD's postal
# code is longer, FTX gains a language coded element, TAX a calculation sequence,
# CPS hierarchy ids are an..35.
_D01B_CHANGES: dict[str, str] = {
    "INV": "4501 C an..3; 7491 C an..3; 4499 C an..3; 4503 C an..3; C522 C[4403 M an..3"
    "|4401 C an..3|1131 C an..17|3055 C an..3|4400 C an..70]",
    "PGI": "5379 M an..3; C288 C[5389 C an..25|1131 C an..17|3055 C an..3|5388 C an..35]",
    "CPS": "7164 M an..35; 7166 C an..35; 7075 C an..3",
    "BGM": "C002 C[1001 C an..3|1131 C an..17|3055 C an..3|1000 C an..35];"
    " C106 C[1004 C an..35|1056 C an..9|1060 C an..6]; 1225 C an..3; 4343 C an..3",
    "RFF": "C506 M[1153 M an..3|1154 C an..70|1156 C an..6|4000 C an..35|1060 C an..6]",
    "QTY": "C186 M[6063 M an..3|6060 M an..35|6411 C an..3]",
    "NAD": "3035 M an..3; C082 C[3039 M an..35|1131 C an..17|3055 C an..3];"
    " C058 C[3124 M an..35|3124 C an..35|3124 C an..35|3124 C an..35|3124 C an..35];"
    " C080 C[3036 M an..35|3036 C an..35|3036 C an..35|3036 C an..35|3036 C an..35"
    "|3045 C an..3]; C059 C[3042 M an..35|3042 C an..35|3042 C an..35|3042 C an..35];"
    " 3164 C an..35; C819 C[3229 C an..9|1131 C an..17|3055 C an..3|3228 C an..70];"
    " 3251 C an..17; 3207 C an..3",
    "FTX": "4451 M an..3; 4453 C an..3; C107 C[4441 M an..17|1131 C an..17|3055 C an..3];"
    " C108 C[4440 M an..512|4440 C an..512|4440 C an..512|4440 C an..512"
    "|4440 C an..512]; 3453 C an..3; 4447 C an..3",
    "TAX": "5283 M an..3; C241 C[5153 C an..3|1131 C an..17|3055 C an..3|5152 C an..35];"
    " C533 C[5289 M an..6|1131 C an..17|3055 C an..3]; 5286 C an..15;"
    " C243 C[5279 C an..7|1131 C an..17|3055 C an..3|5278 C an..17|5273 C an..12"
    "|1131 C an..17|3055 C an..3]; 5305 C an..3; 3446 C an..20; 1227 C an..3",
    "MOA": "C516 M[5025 M an..3|5004 C n..35|6345 C an..3|6343 C an..3|4405 C an..3]",
    "ERC": "C901 M[9321 M an..8|1131 C an..17|3055 C an..3]",
    "DOC": "C002 M[1001 C an..3|1131 C an..17|3055 C an..3|1000 C an..35];"
    " C503 C[1004 C an..35|1373 C an..3|1366 C an..70|3453 C an..3|1056 C an..9"
    "|1060 C an..6]; 3153 C an..3; 1220 C n..2; 1218 C n..2",
    "PIA": "4347 M an..3; C212 M[7140 C an..35|7143 C an..3|1131 C an..17|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..17|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..17|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..17|3055 C an..3];"
    " C212 C[7140 C an..35|7143 C an..3|1131 C an..17|3055 C an..3]",
    "LIN": "1082 C an..6; 1229 C an..3; C212 C[7140 C an..35|7143 C an..3|1131 C an..17"
    "|3055 C an..3]; C829 C[5495 C an..3|1082 C an..6]; 1222 C n..2; 7083 C an..3",
    "GIN": "7405 M an..3; C208 M[7402 M an..35|7402 C an..35];"
    " C208 C[7402 M an..35|7402 C an..35]; C208 C[7402 M an..35|7402 C an..35];"
    " C208 C[7402 M an..35|7402 C an..35]; C208 C[7402 M an..35|7402 C an..35]",
    "PCI": "4233 C an..3; C210 C[7102 M an..35|7102 C an..35|7102 C an..35|7102 C an..35"
    "|7102 C an..35|7102 C an..35|7102 C an..35|7102 C an..35|7102 C an..35"
    "|7102 C an..35]; 8275 C an..3; C827 C[7511 M an..3|1131 C an..17|3055 C an..3]",
    "TDT": "8051 M an..3; 8028 C an..17; C220 C[8067 C an..3|8066 C an..17];"
    " C228 C[8179 C an..8|8178 C an..17]; C040 C[3127 C an..17|1131 C an..17"
    "|3055 C an..3|3128 C an..35]; 8101 C an..3; C401 C[8457 M an..3|8459 M an..3"
    "|7130 C an..17]; C222 C[8213 C an..9|1131 C an..17|3055 C an..3|8212 C an..35"
    "|8453 C an..3]; 8281 C an..3",
    "CCI": "7059 C an..3; C502 C[6313 C an..3|6321 C an..3|6155 C an..17|6154 C an..70];"
    " C240 C[7037 M an..17|1131 C an..17|3055 C an..3|7036 C an..35|7036 C an..35];"
    " 4051 C an..3",
    "IMD": "7077 C an..3; C272 C[7081 C an..3|1131 C an..17|3055 C an..3];"
    " C273 C[7009 C an..17|1131 C an..17|3055 C an..3|7008 C an..256|7008 C an..256"
    "|3453 C an..3]; 7383 C an..3",
    "PAC": "7224 C n..8; C531 C[7075 C an..3|7233 C an..3|7073 C an..3];"
    " C202 C[7065 C an..17|1131 C an..17|3055 C an..3|7064 C an..35];"
    " C402 C[7077 M an..3|7064 M an..35|7143 C an..3|7064 C an..35|7143 C an..3];"
    " C532 C[8395 C an..3|8393 C an..3]",
}

SEGMENT_TEXT: dict[str, dict[str, str]] = {
    "D96A": _D96A,
    "D01B": {**_D96A, **_D01B_CHANGES},
}
