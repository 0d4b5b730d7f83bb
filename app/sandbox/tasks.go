// Package sandbox is the practice shop: pretend money, a real-feeling shop, and the
// practice tasks that are checked from what a learner actually did in it.
package sandbox

import "slices"

// TaskIDs lists every practice task a lesson may name, in the order the shop shows them.
// Each id has a title and a hint in the translation catalogs ("task.<id>.title",
// "task.<id>.hint"), and a checker (Checkers) of the events in the learner's own sandbox.
//
// Each belongs to one lesson (courses lint checks it), and counts only what the learner did
// after opening that lesson.
var TaskIDs = []string{
	"buy-first-order", "buy-fertiliser-pickup", "buy-compare-sellers", "buy-cart-several",
	"buy-track-order", "buy-pickup-parcel", "buy-return-damaged", "buy-write-review",
	"buy-well-rated", "buy-home-delivery", "buy-school-budget",
	"pay-set-pin", "pay-change-pin", "pay-read-ledger", "pay-wallet-pin", "pay-cash-on-pickup", "pay-recover-declined",
	"sell-open-shop", "sell-list-product", "sell-clear-title", "sell-price-covers-costs", "sell-first-buyer",
	"sell-ship-order", "sell-answer-message", "sell-handle-return", "sell-read-statement",
	"bill-pay-electricity", "bill-pay-water", "bill-topup-phone", "bill-wrong-account",
	"travel-book-bus", "travel-book-train", "travel-refund-ticket",
	"scam-report-refund-call", "scam-report-offplatform", "scam-report-cheap-phone",
	"scam-report-prize", "scam-report-franchise", "scam-report-after-fall",
	"scam-keep-genuine", "scam-block-sender", "scam-block-offplatform",
	"assist-log-help", "assist-log-private", "assist-warn-villager", "assist-follow-up",
	"assist-villager-order", "assist-first-order",
	"centre-busy-day", "centre-pickup-parcel", "shop-reset",
}

// KnownTask reports whether id is a practice task.
func KnownTask(id string) bool { return slices.Contains(TaskIDs, id) }
