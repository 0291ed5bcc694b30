/*
Package router turns one inbound text into a routing Decision: language,
topic, lead and supporting agencies, urgency, and an explanation of each.

It is a trained classifier, not a keyword list. New trains three linear
models on the corpus shipped in data/corpus (about 12,000 labelled messages
in English, Arabic with dialect and Arabizi, Sorani and Kurmanji in both
scripts) and the network's topic keywords; Route reads them.

How a text is routed (Router.Route):

  - Language: a four-class model (en, ar, ckb, kmr) over the words as
    written and their character 1–3-grams, which keep what matching folds
    away (Sorani ڕ ڵ ۆ ێ ە, Kurmanji ê î û ç ş, digits inside Arabizi
    words). A valid hint from the caller labels the decision; the features
    use the detected language.
  - Normalize folds spelling variants (harakat, tatweel, alef/ya/ta-marbuta
    forms, digits, Sorani letters typed on an Arabic keyboard, accents) and
    words are split off their Arabic and Sorani clitics.
  - Features (features.go): each word and clitic-stripped form, each pair of
    neighbouring words, each character 3-, 4- and 5-gram of each word with
    its boundaries marked, and the verdicts of the keyword rules (kw:TOPIC
    when a topic's keywords matched, cue:urgent / cue:calmed / cue:past from
    the urgency cues of data/urgent.txt with their calm phrases, negation
    and long-past dating). They are hashed into 2^17 buckets and weighted by
    inverse document frequency; the vector has unit length.
  - Topic: multinomial logistic regression (linear.go), trained by SGD,
    softmax temperature fitted on the validation split. Two rules stay:
    press keywords covering two words make a media request whatever it is
    about (a journalist asking about trafficking is press), and when the
    model gives a text to "other" but a topic's keywords are in it, the
    keywords win (a network's own topics, with no corpus lines, live on
    their keywords). A per-topic probability threshold, chosen on the
    validation split, sends unsure texts to "other".
  - Urgency: logistic regression on the same features, its threshold chosen
    on the validation split with a missed urgent message counting as eight
    false alarms (train.go). A press request is never urgent.
  - matched explains it all: the language and its probability, the topic's
    probability and the features that pushed most towards it, the keywords
    found, the rule that fired, the urgency probability against the
    threshold and the cues.

The corpus is split by a hash of each normalized text: 80% trains, 10%
chooses temperatures and thresholds (validation), 10% is held out and only
reported (go test -run Eval -v ./router). The blind sets in testdata/ were
written by helpers who never saw the router, the corpus or each other's
sets; their first-run figures are in the README. TestCorpus keeps every
evaluation text, and any near copy of one, out of the corpus.
*/
package router
