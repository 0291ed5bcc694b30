/*
Package router turns one inbound text into a routing Decision: language,
topic, lead and supporting agencies, urgency, and an explanation of each.

How a text is routed (Router.Route):

  - Language: DetectLanguage reads the script; Sorani is told from Arabic by
    the letters Arabic lacks (ڕ ڵ ۆ ێ ە, and more weakly ڤ پ ژ ی ک; an Iraqi
    گ or چ alone is not enough). A valid hint from the caller labels the
    decision; matching uses the detected language, since people do not
    always write in the language they chose.
  - Normalize folds spelling variants (harakat, tatweel, alef/ya/ta-marbuta
    forms, Persian/Arabic-Indic digits, Sorani letters typed on an Arabic
    keyboard, ە typed as ه with or without ZWNJ) so keywords match however a
    word was typed.
  - Keywords (from the network file, see config/default_topics.yaml for the
    syntax) are matched with their inflections: English suffixes, Arabic
    clitics and pronoun/plural endings, Sorani stems with any ending. An
    English keyword word of six letters or more is also found with one slip
    (pasport, salery, sucide), unless the word is one the training sentences
    spell that way. Each topic scores one point per word its keywords cover;
    a word covered by a longer phrase of another topic belongs to that
    phrase ("safety of journalists" is not two press keywords).
  - A press request (press keywords covering two words or more) wins over the
    topic it is about. Otherwise keywords and a naive Bayes model (words,
    clitic-stripped words and character 3–5-grams of normalized text, trained
    in New from the keywords and data/train.tsv: 2,700 sentences, 900 per
    language, 60 per topic and language) vote: each topic gets its keyword
    points plus modelWeight (2) times the model's probability. One keyword
    thus loses to a model sure of another topic (a 14-year-old "daughter"
    being married off is not a schooling question), and ties go to the
    model. A text no keyword matches goes to the model's topic when it is
    sure enough, else to "other".
  - Urgency: the cues in data/urgent.txt (violence, confinement, a child
    taken or recruited, a forced marriage under way, self-harm, a person held
    or sold). A cue does not count when a calm phrase overlaps it ("suicide
    prevention", "I took my son to school"; a cue naming who acts, "armed
    group + took", is only calmed by a calm pair) or when it is negated ("he
    never hit me", "ما يضربني"). When no cue is there and none was cancelled,
    a second naive Bayes model (urgent or not, trained on the cues,
    data/urgent_examples.tsv and the training sentences no cue flags) flags
    a text of six words or more from p ≥ 0.8: it knows threats told in words
    no cue lists. A press request is never urgent.

Measured on the labelled sets (go test -v -run Accuracy ./router/). Dev
(../shared/data/routing-dev.jsonl, 75 examples): 100% agency accuracy in en,
ar and ckb, 6/6 urgent flagged, 0 false urgent, before and after this work.
Each held-out or blind set was written here, with new phrasings of the same
needs, before the round of work it then informed, and none is trained on.
Their first, blind scores are the honest estimate for unseen text; the
scores after tuning are not:

	set                first run (blind)                     after tuning
	                   en     ar     ckb    urgent  false     en/ar/ckb         urgent  false
	heldout   (78)     81%    81%    92%    5/6     0/72      100/100/100%      6/6     1/72
	heldout2  (60)     80%    75%    75%    4/9     0/51      100/100/100%      9/9     0/51
	heldout3  (36)     58%    50%    58%    0/6     0/30      100/100/100%      6/6     0/30
	blind1   (120)     92.5%  90%    90%    5/12    0/108     100/100/100%      12/12   0/108
	blind2    (90)     83%    93%    93%    3/12    0/78      97/97/97%         12/12   0/78
	blind3    (60)     90%    100%   95%    6/12    0/48      95/100/100%       12/12   0/48
	blind4    (45)     80%    87%    73%    6/12    0/33      87/87/80%         12/12   0/33
	blind5    (60)     100%   95%    100%   10/12   0/48      100/100/100%      12/12   0/48
	blind6    (90)     90%    100%   93%    7/12    0/78      100/100/97%       12/12   0/78
	blind7    (72)     75%    71%    67%    17/36   2/36      79/71/79%         36/36   0/36
	blind8    (90)     97%    97%    90%    10/12   0/78      100/100/100%      12/12   0/78

blind1 was written before any of the changes above; blind2 after the larger
training set, the keyword/model vote and the negation handling; blind3 after
the urgency model; blind4 after the changes blind3 prompted; blind5 last
(15 topics in each language, 12 urgent), after blind4's round. Read them
as: agency accuracy on unseen text is around 85–95%, lower for messages that
name several needs (blind4: "the bridge collapsed, the kids walk two hours to
school" is labelled development and routed to children). Urgency is the weak
point: the cues and the urgency model together flagged about half of the
urgent messages phrased in ways nothing here had seen (acid, rat poison, a
cry for help heard through a window), though no calm message was flagged.
Every set now scores its urgent examples and tests hold them to it, but each
fix came from a miss; a new blind set, written by someone else, is the next
honest measurement.

blind5's first run missed two Sorani urgent messages (a sister "held"
بەندکراوە by men who "want to sell her" بیفرۆشن; a girl taken "by force" بە زۆر
برد by gunmen) and one Iraqi trafficking case (the agent "لزم جوازه", kept his
passport, and asks for a "دين النقل", transport debt). The round it prompted
widened whole cue families rather than those sentences: English verbs of
violence in the progressive and past with every object (beating/whipping/
dragging/choking... me/us/her/him/them/my), being held or kept in a place,
taken by force or into a car, a knife or gun at hand, ways of ending one's
life; Iraqi progressive forms (ديضرب، ديعذب، ديهدد، ديزوجني), شال/ماسكين +
child, ركبوه بسيارة, حاجزينا; Sorani بەندکراو-, بە زۆر + برد, چەکدار + برد,
kill threats in every person (دەمانکوژن، دەیکوژێت، بیکوژن), بارمتە/بە دیل. Selling
a person is a pair, victim + verb (کچ + بیفرۆشن, اختي + يبيعوها), since the
verb alone is also selling sheep or wheat. Calm pairs keep a past kidnapping
("kidnapped ... came back", خطفوه + رجع) and a relative in police custody
(محبوس + شرطه/محامي) calm. The urgency model's threshold was left at 0.8: at
0.7 heldout gets 2 false urgents and heldout2 1, for one more blind5 hit.
Probe sentences written during that round (not kept as a set; about 40
urgent and 30 calm in the three languages) led to the held-in-a-basement,
rope and "keep us in" cues and to dropping "ransom" / "until we pay" / لحد ما
ندفع (a hospital holding a birth certificate until the bill is paid is not
danger). One probe is still wrong: a past beating ("the kids were beaten at
school by a teacher last year") is flagged, since "beaten" has no time sense.
Because the cues also train the urgency model, removing cues lowered its
probability for two choking texts in urgent_test.go. Five urgent examples of
strangling, in other words, were added to data/urgent_examples.tsv, along
with five calm wage-withholding ones: "they fired me and kept my last salary"
had reached p=0.84.

blind6 was written by a helper that never saw this package, its keywords or
its training sentences (only the dev set and the topic table), after the
blind5 round: 30 messages a language, 2 a topic, 4 urgent. Its first run
missed five urgent messages: violence in the present progressive ("the
foreman is beating two workers"), armed men taking men from a camp by force
(مسلحين ... ياخذون ... بالقوة), a boy taken by strangers (أخذوه ناس غرباء), a
girl held in a hotel whom a man "will sell tomorrow" (دەیفرۆشێت), a boy a man
led away (پیاوێک بردوویەتی). The round added those cue families in general
form (is/are + beating/hitting/attacking/whipping; بالقوه/مسلحين/غرباء + the
taking verbs; victim + دەیفرۆشێت/دەیفرۆشن and + بردوویەتی), journalist-protection
phrases (which take "journalists" away from press, as "safety of
journalists" does), Iraqi forced-marriage verb forms (ديزوجني ...) as
gbv_health keywords, and 24 training sentences (threats from in-laws over
leaving a husband, cash-for-work clearing rubble, home production growing
into a workshop). The one miss left is honest ambiguity: a Sorani small
"project" (پرۆژەی بچووک, a livelihoods keyword) that should become a
"factory" (کارگە) goes to development, not industry.

blind7, by another helper that never saw the package, is an urgency test:
12 urgent and 12 hard calm messages a language, the danger told without
its usual words (the madam took the key and the windows have bars; the
water broke and there is a lot of blood; the sheikh is writing the
contract; the driver will "give us to the man who paid"), and calm ones
that name the same harms as past or general ("ISIS took my brothers in
2014", "two years ago my father tried to marry me off"). Its first run
flagged 17 of 36 urgent messages and 2 calm ones: the honest measure of
urgency on wordings nobody anticipated, and the reason the safety message
must never depend on the router alone (staff see every new inquiry). The
round added a rule, not only cues: a cue with a past date near it (years
ago, last year, in 2014, قبل سنتين, ساڵێک لەمەوبەر) and no word of now near it
(now, tonight, again, هسه, ئێستا) is calmed (past.go; "for two years", من
سنتين, is still going on and stays urgent). Cue families for the kinds it
showed (confinement through the key, door or truck; heavy bleeding in
childbirth; the means of self-harm in hand; names read out by armed men;
a marriage contract written now; a person to be handed over; a gun drawn;
a child carried over a border), 12 urgent and 3 calm model examples in new
words, and childbirth keywords for gbv_health. Marriage-contract words
(عقد قران, مارەکردن, "marriage contract") and Iraqi تولد ("born in", as
well as "giving birth") were tried as gbv_health keywords and taken out
again: they fit blind7 but would send ordinary registration questions to
UNFPA. Its agency labels for a danger told without a subject are often
debatable; its floor in the tests is 70%.

blind8, by a third helper, in the plain style of the dev set (15 topics
in each language, 4 urgent), measures the router after the blind6 and
blind7 rounds: en 97%, ar 97%, ckb 90%, 10 of 12 urgent, no false urgent on
its first run. Its misses were a Sorani sale without the object on the verb
(کچێک ... دەفرۆشن, "they are selling a girl") and a boy put into a car
(خستە ناو ئۆتۆمبێل ... بردی), both added as cue families, and four topics:
domestic violence against a sister or mother, postgraduate scholarships
(الدراسات العليا), a passport taken (پاسپۆرتەکەی بردووە), a knife threat to a
wife, added as keywords. Tuning moved one blind7 English message (a brother
walking off to the river after saying goodbye, labelled refugees) to
gbv_health.

heldout's one false urgent is "my father wants to marry off my 13 year old
sister to an old man", which the urgency model flags and its writer labelled
calm.
*/
package router
