package router

import (
	"strings"
	"testing"
)

// About 200 characters each, the size of a typical first message.
var benchTexts = []string{
	"Hello, my brother went to work at a construction site near Erbil last spring. The employer took his passport and has not paid him for three months. He is afraid. Can someone help us please?",
	"السلام عليكم، عائلتنا نازحة في مخيم قرب الموصل ولم نستلم السلة الغذائية منذ شهرين، والأطفال يحتاجون إلى طعام. كيف نسجل للحصول على المساعدات الغذائية؟ شكراً جزيلاً لكم",
	"سڵاو، من پەنابەرێکی سووریم لە کەمپی دۆمیز و تۆمارەکەم بەسەرچووە. منداڵەکانم ناتوانن بچنە قوتابخانە چونکە بڕوانامەیان نییە. تکایە یارمەتیمان بدەن چی بکەین؟",
}

func BenchmarkRoute(b *testing.B) {
	r := newDefault(b)
	for _, text := range benchTexts {
		lang, _ := r.detect(text)
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Route(text, "")
			}
		})
	}
	// No keyword: the model decides.
	b.Run("model", func(b *testing.B) {
		text := strings.Repeat("we have a question about something else entirely ", 4)
		b.ReportAllocs()
		for b.Loop() {
			r.Route(text, "")
		}
	})
}

func BenchmarkNew(b *testing.B) {
	topics := loadTopics(b)
	for b.Loop() {
		if _, err := New(topics); err != nil {
			b.Fatal(err)
		}
	}
}
