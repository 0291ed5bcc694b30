/*
Package router turns one inbound text into a routing Decision: language,
topic, lead and supporting agencies, urgency, and an explanation of each.

How a text is routed (Router.Route):

  - Language: DetectLanguage reads the script; Sorani is told from Arabic by
    the letters Arabic lacks (ڕ ڵ ۆ ێ ە, and more weakly ڤ پ ژ ی ک). A valid
    hint from the caller labels the decision; matching uses the detected
    language, since people do not always write in the language they chose.
  - Normalize folds spelling variants (harakat, tatweel, alef/ya/ta-marbuta
    forms, Persian/Arabic-Indic digits, Sorani letters typed on an Arabic
    keyboard) so keywords match however a word was typed.
  - Keywords (from the network file, see config/default_topics.yaml for the
    syntax) are matched with their inflections: English suffixes, Arabic
    clitics and pronoun/plural endings, Sorani stems with any ending. Each
    topic scores one point per word its keywords cover.
  - A press request (press keywords covering two words or more) wins over the
    topic it is about. Ties between topics, and texts no keyword matches, go
    to a naive Bayes model over words and character n-grams, trained in New
    from the keywords and the shipped sentences in data/train.tsv. A text the
    model is unsure of goes to the "other" topic.
  - Urgency: the phrases in data/urgent.txt (violence, confinement, a child
    taken, self-harm, a person held or sold); calm phrases there cancel the
    cues they overlap ("suicide prevention", "I took my son to school"). A
    press request is never urgent.

Measured on the labelled sets (go test -v -run Accuracy ./router/). Dev
(../shared/data/routing-dev.jsonl, 75 examples): 100% agency accuracy in en,
ar and ckb, 6/6 urgent flagged, 0 false urgent. Three held-out sets were
written here, each with new phrasings and before the round of keyword work
it then informed; their first, blind scores are the honest estimate for
unseen text:

	set                   en     ar     ckb    urgent  false urgent
	heldout   (78, blind)  81%    81%    92%    5/6     0/72
	heldout2  (60, blind)  80%    75%    75%    4/9     0/51
	heldout3  (36, blind)  58%    50%    58%    0/6     0/30

heldout2 and heldout3 are deliberately indirect (no topic word, urgency told
as a story). After tuning, all three score 92–100% and every urgent example
is flagged; the tests hold them to that.
*/
package router
