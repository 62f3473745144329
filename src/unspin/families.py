"""Which family a rule belongs to: used to name learned rows and to report results per family."""

from __future__ import annotations

_SAYING = set("""say says said saying tell tells told telling state states stated stating announce
announced announces add added adds explain explained explains note noted notes report reported reports
reporting claim claimed claims mention mentioned mentions declare declared declares remark remarked
ask asked asks reply replied warn warned warns according testify testified insist insisted
acknowledge acknowledged admit admitted confirm confirmed deny denied describe described
speak spoke spoken speaking talk talks talked statement statements comment comments commented
interview advise advised inform informed reporters briefing quoted quote""".split())
_WAR = set("""war wars warfare fighting fight fought battle battles conflict conflicts combat struggle
attack attacks attacked invasion invaded invade violence violent killed killing kill kills bomb bombs
bombing explosion explosions weapons weapon arms ceasefire truce rebels rebel insurgents militants
militia terrorist terrorists terrorism hostilities siege offensive airstrikes shelling casualties
wounded injured dead deaths bodies refugees hostage hostages""".split())
_MILITARY = set("""military army navy troops soldiers soldier forces force armed defense defence
pentagon officer officers commander commanders marines air-force security guard guards""".split())
_POLITICS = set("""government governments president presidential minister ministers parliament
congress senate senator senators election elections vote votes voting voters campaign party parties
policy policies law laws legislation regulation court courts judge judges justice ruling rule rules
official officials authorities administration state nation country countries national international
foreign diplomat diplomats diplomatic treaty agreement agreements talks negotiations sanctions
leader leaders political politics democracy rights citizens public federal department agency
commission committee council embassy ambassador secretary""".split())
_HEALTH = set("""health healthy disease diseases virus illness sick patients patient doctor doctors
hospital hospitals medical medicine drug drugs treatment vaccine vaccines infection infected body
bodies heart blood cancer death die died dying care nurses epidemic pandemic outbreak symptoms
surgery brain flu""".split())
_ECONOMY = set("""economy economic economies money market markets trade business businesses company
companies firm firms bank banks financial finance price prices cost costs tax taxes budget debt
growth investment investors jobs job workers employment unemployment income wages oil dollar
dollars percent inflation industry exports imports bailout funds fund spending revenue profit
sales""".split())
_FUNCTION = set("""a an the in on at of to for from by with without within into onto upon about
as since because while whereas when where which who whom whose that this these those there here
then than so such also but and or nor if though although however yet still even just only very
more most less least much many some any all each every both either neither other another same
before after during until till throughout across through via over under below beneath above
between among against toward towards around near along beside besides despite per is are was were
be been being have has had do does did will would shall should can could may might must not no
it its they them their he him his she her we us our you your i me my one ones way order part
result reason fact well lot whole place become became becomes turn turned""".split())
_NUMBERS = set("""zero one two three four five six seven eight nine ten eleven twelve dozen dozens
hundred hundreds thousand thousands million millions billion billions first second third half
percent""".split())


def family_of(spun: str, original: str, capitalised: bool = False) -> str:
    """Best family name for a rule turning ``original`` into ``spun``.

    >>> family_of("stated", "said"), family_of("for the reason that", "since the")
    ('saying', 'function')
    >>> family_of("occasions", "times", capitalised=True), family_of("1000's", "thousands")
    ('name', 'number')
    """
    o, s = original.lower().split(), spun.lower().split()
    words = set(o) | set(s)
    if capitalised:
        return "name"
    if any(ch.isdigit() for ch in spun + original) or set(o) & _NUMBERS:
        return "number"
    if any("'" in w or "’" in w for w in s) and not any("'" in w or "’" in w for w in o):
        return "contraction"
    for fam, vocab in (("saying", _SAYING), ("war", _WAR), ("military", _MILITARY),
                       ("health", _HEALTH), ("economy", _ECONOMY), ("politics", _POLITICS)):
        if set(o) & vocab:
            return fam
    if len(s) > 1 or len(o) > 1 or words <= _FUNCTION:
        return "function"
    return "everyday"
