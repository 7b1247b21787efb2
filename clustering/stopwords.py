"""Stop words for theme keywords in English, French, Spanish, German and Portuguese (our own lists).

Each list holds function words (articles, pronouns, prepositions, conjunctions, auxiliaries and
modal verbs) plus the few words that every consultation statement uses ("should", "must",
"need", "il faut"...), which would otherwise top every theme's keywords. Words are lower case and
written with their accents; :func:`stop_words` also accepts a regional tag such as ``"fr-CA"``.
"""

from __future__ import annotations

from functools import lru_cache

_EN = """
a about above after again against all almost also although always am among an and another any
anyone anything are aren't around as at be because been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't done down during each
either else enough etc even ever every everyone everything few for from further get gets getting
give given go goes going got had hadn't has hasn't have haven't having he her here hers herself
him himself his how however i i'd i'll i'm i've if in into is isn't it it's its itself just
least less let let's like made make makes many may me might more most much must mustn't my
myself need needed needs neither never no nobody none nor not nothing now of off often on once
one only onto or other others ought our ours ourselves out over own per please quite rather
really said same say says see shall shan't she should shouldn't since so some someone something
still such than that that's the their theirs them themselves then there there's these they
they're thing things this those though through thus to too toward towards under until up upon
us use used using very via want wants was wasn't way we we'd we'll we're we've well were weren't
what what's when where whether which while who whom whose why will with within without won't
would wouldn't yet you you'd you'll you're you've your yours yourself yourselves
also able already always anyone especially instead just like lot lots maybe mostly rather really
think want wish yes
"""

_FR = """
à afin ai aie aient aies ait alors as au aucun aucune auquel aura aurai auraient aurais aurait
auras aurez auriez aurions aurons auront aussi autre autres aux auxquelles auxquels avaient avais
avait avant avec avez aviez avions avoir avons ayant ayez ayons c c'est ça car ce ceci cela celle
celles celui cependant certain certaine certaines certains ces cet cette ceux chacun chaque chez
ci comme comment d dans de depuis des desquelles desquels dessous dessus deux devons devez
devrait devraient devrions doit doive doivent donc dont du duquel elle elles en encore entre es
est et étaient étais était étant été êtes étions être eu eue eues eûmes eurent eus eusse eut eux
faire fait faut fois font furent fut il ils j je jusqu jusque l la là laquelle le lequel les
lesquelles lesquels leur leurs lors lorsque lui m ma mais me même mêmes mes moi moins mon n ne
ni nos notre nous on ont ou où par parce pas peu peut peuvent plupart plus plusieurs pour
pourquoi pourrait pourraient puis puisque qu quand que quel quelle quelles quels qui quoi s sa
sans se selon sera serai seraient serait seront ses seul seule si sien sienne soi soient sois
soit sommes son sont sous soyez soyons suis sur t ta tandis te tel telle telles tels tes toi ton
toujours tous tout toute toutes très tu un une unes uns vers voici voilà vos votre vous y
aussi bien il faudrait falloir devoir pouvoir pouvons devrions afin également beaucoup
"""

_ES = """
a al algo alguna algunas alguno algunos ante antes aquel aquella aquellas aquello aquellos aquí
así aun aunque cada como con contra cual cuales cualquier cuando cuándo cómo de debe deben
debería deberían del demás desde donde dos durante e el él ella ellas ello ellos en entre era
erais eran eras eres es esa esas ese eso esos esta está estaba estaban estado estamos están estar
estas este esto estos estoy fue fueron fui ha haber había habían han has hasta hay haya he hemos
hace hacen hacer hacia la las le les lo los más me mi mis mismo misma mucho muchos muy nada ni
no nos nosotros nuestra nuestras nuestro nuestros o os otra otras otro otros para pero poco
por porque puede pueden qué que quien quienes se sea sean según ser si sí sido siempre sin
sobre su sus también tan tanto te tener tenemos tiene tienen todo todos todas toda tu tus un
una unas uno unos usted ustedes va vamos y ya yo
además necesario necesita necesitan hay que
"""

_DE = """
aber alle allem allen aller alles als also am an andere anderen anders auch auf aus bei beim
bin bis bist da dadurch daher damit dann das dass dein deine dem den denn der deren des dessen
dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen
einer eines einige er es etwas euch euer eure für gegen gibt habe haben hat hatte hätte
hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist ja jede jedem
jeden jeder jedes jetzt kann kein keine keinem keinen keiner können könnte man manche mehr mein
meine mich mir mit muss müssen müsste nach nicht nichts noch nun nur ob oder ohne schon sehr
sein seine seinem seinen seiner sich sie sind so soll sollen sollte sollten sondern sowie über
um und uns unser unsere unter viel vom von vor wann war waren warum was weil weiter welche
welchem welchen welcher wenn wer werden wie wieder will wir wird wo wollen würde würden zu zum
zur zwischen
"""

_PT = """
a ao aos aquela aquelas aquele aqueles aquilo as até com como da das de deve devem deveria
deveriam do dos e é ela elas ele eles em entre era essa essas esse esses esta está estão estas
este estes eu foi for foram há isso isto já lhe lhes mais mas me mesmo muito na não nas nem no
nos nós o os ou para pela pelas pelo pelos por porque pode podem precisa qual quando que quem
se sem ser seu seus só sua suas também te tem têm todo todos toda todas um uma umas uns você
vocês
"""

#: Stop-word sets by two-letter language code.
STOP_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(text.split())
    for code, text in {"en": _EN, "fr": _FR, "es": _ES, "de": _DE, "pt": _PT}.items()
}

#: Languages with a list of their own.
LANGUAGES: tuple[str, ...] = tuple(STOP_WORDS)


def language_code(language: str | None) -> str | None:
    """Return the two-letter code for ``"fr"``, ``"fr-CA"``, ``"FR_fr"``; ``None`` if blank."""
    if language is None:
        return None
    code = str(language).strip().lower().replace("_", "-").split("-")[0]
    return code or None


@lru_cache(maxsize=32)
def stop_words(language: str | None) -> frozenset[str]:
    """Stop words for ``language``.

    Parameters
    ----------
    language : str or None
        Language tag (``"en"``, ``"fr-CA"``...). Unknown or missing languages get the union of
        all lists, which is the safest choice for a statement of unknown language.

    Returns
    -------
    frozenset of str
    """
    code = language_code(language)
    if code in STOP_WORDS:
        return STOP_WORDS[code]
    return frozenset().union(*STOP_WORDS.values())
