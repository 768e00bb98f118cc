"""Segment layouts: for each segment ID its elements as ``"<element id><M|O|X>"``.

``M`` mandatory, ``O`` optional, ``X`` conditional (optional by itself; the relational
conditions that make it required or forbidden are the syntax notes in
:mod:`gateway.x12.specs.syntax_notes`). Element ids starting with ``C`` are
composites, checked for presence only. Layouts follow X12 004010, with some 005010
trailing elements added (N4-07, BSN-08, ACK-29, ST-03); trailing optional elements may
be absent. Segments without a layout here get structure checks only. Envelope
segments (ISA/GS/GE/IEA) are checked by the envelope reader.
"""

from __future__ import annotations

_PAIRS10 = " ".join(["235X 234X"] * 10)
_PAIRS15 = " ".join(["235X 234X"] * 15)

LAYOUTS: dict[str, str] = {
    "ST": "143M 329M 1705O",
    "SE": "96M 329M",
    "BEG": "353M 92M 324M 328O 373M 367O 587O 1019O 1166O 1232O 786O 640O",
    # 860: BCH11 is the change request date (BCH06 the original order's date); POC03 the
    # quantity ordered (current, after the change), POC04 the quantity left to receive,
    # POC05 the unit (C001 in 004010/005010), then price, basis and ten id pairs
    "BCH": "353M 92M 324M 328O 327O 373M 326O 367O 127O 373O 373O 640O",
    "POC": "350O 670M 330X 671X C001X 212X 639O " + _PAIRS10,
    "CUR": "98M 100M 280O 98O 100O 669O 374O 373O 337O 374O 373O 337O 374O 373O 337O "
    "374O 373O 337O 374O 373O 337O",
    "REF": "128M 127X 352X C040O",
    "PER": "366M 93O 365X 364X 365X 364X 365X 364X 443O",
    "FOB": "146M 309X 352O 334X 335X 309X 352O 54X 352O",
    "SAC": "248M 1300X 559X 1301X 610O 378X 332X 118X 355X 380X 380O 331O 127X 770X 352X 819O",
    "ITD": "336O 333O 338O 370X 351O 446X 386O 362O 388O 389O 342O 352O 765O 107O 954X",
    "DTM": "374M 373X 337X 623O 1250X 1251X",
    "TD5": "133O 66X 67X 91X 387X 368X 309X 310O 731X 732X 733O 284O 284O 26O 309O",
    "TD1": "103O 80X 23X 22X 79X 187O 81X 355X 183X 355X",
    "TD4": "152X 208X 209X 352O 1073O",
    "N1": "98M 93X 66X 67X 706O 98O",
    "N2": "93M 93O",
    "N3": "166M 166O",
    "N4": "19O 156X 116O 26X 309X 310O 1715X",
    "PO1": "350O 330X 355O 212X 639O " + _PAIRS10,
    "PID": "349M 750X 559X 751X 352X 752O 822O 1073O 819O",
    "PO4": "356O 357O 355X 103X 187O 384X 355X 385X 355X 82X 189X 65X 355X 810O 752O 350X "
    "350O 1470O",
    "CTT": "354M 347O 81X 355X 183X 355X 352O",
    "AMT": "522M 782M 478O",
    "MSG": "933M 934X 1470O",
    "NTE": "363O 352M",
    "N9": "128M 127X 369X 373O 337X 623O C040O",
    "SCH": "380M 355M 98X 93X 374M 373M 337O 374O 373O 337O 326O 350O",
    "BAK": "353M 587M 324M 373M 328O 326O 367O 127O 373O 640O",
    "ACK": "668M 380X 355X 374X 373O 326O " + _PAIRS10 + " 559X 822X 1271O",
    "BSN": "353M 396M 373M 337M 1005O 640X 641X 1271O",
    "HL": "628M 734O 735M 736O",
    "LIN": "350O 235M 234M " + _PAIRS15[10:],
    "SN1": "350O 382M 355M 646O 330X 355X 728O 668O",
    "PRF": "324M 328O 327O 373O 367O 92O",
    "MAN": "88M 87M 87O 88X 87X 87O",
    "BIG": "373M 76M 373O 324O 328O 327O 640O 353O 76O 306O",
    "IT1": "350O 358X 355X 212X 639O " + _PAIRS10,
    "TDS": "610M 610O 610O 610O",
    "CAD": "91O 206X 207X 140X 387X 368O 128X 127X 284O",
    "ISS": "382X 355X 81X 355X 183X 355X",
    "MEA": "737O 738O 739X C001X 740X 741X 935O 936X 752O 1373O",
    "PKG": "349M 753O 559X 754X 352X 400O",
    "TXI": "963M 782X 954X 955X 956X 441X 662O 828O 325O 350O",
    "CTP": "687O 236X 212X 380X C001X 648X 649X 782O 639O 499O 289O",
    "LS": "447M",
    # 846 / 832 (what a seller publishes). BIA06 and BCT10 are 005010 additions; QTY03 is
    # the unit composite C001; CTP09-11 (basis, condition value, multiple price quantity)
    "BIA": "353M 755M 127M 373M 337O 640O",
    "BCT": "683M 684O 685O 686O 355O 684O 685O 686O 352O 353O",
    "QTY": "673M 380X C001X 61X",
    # 824 Application Advice (we write it; TED05 is 722 in 004010, composite C030 in
    # 005010, written as a plain position that reads the same in both)
    "BGN": "353M 127M 373M 337X 623O 127O 640O 306O 786O",
    "OTI": "110M 128M 127M 142O 124O 373O 337X 28X 329O 143O 480O 353O 640O 346O 306O 305O 641O",
    "TED": "647M 3O 721O 719O 722O 725O 724O 961O",
    "LE": "447M",
    # acknowledgements (read only, and validated when partners send them to us)
    "AK1": "479M 28M 480O",
    "AK2": "143M 329M 1705O",
    "AK3": "721M 719M 447O 720O",
    "AK4": "C030M 725O 723M 724O",
    "AK5": "717M 718O 718O 718O 718O 718O",
    "AK9": "715M 97M 123M 2M 716O 716O 716O 716O 716O",
    "IK3": "721M 719M 447O 620O",
    "IK4": "C030M 725O 621M 724O",
    "IK5": "717M 618O 618O 618O 618O 618O",
    "CTX": "C998M 721O 719O 447O C030O C999O",
}


def _compile() -> dict[str, tuple[tuple[str, bool], ...]]:
    table: dict[str, tuple[tuple[str, bool], ...]] = {}
    for tag, layout in LAYOUTS.items():
        table[tag] = tuple((item[:-1], item[-1] == "M") for item in layout.split())
    return table


# tag -> ((element id, mandatory), ...), built once at import
SEGMENTS = _compile()
