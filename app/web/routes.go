package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"cunlu/app/account"
)

var (
	admins       = []account.Role{account.RoleAdmin}
	coordinators = []account.Role{account.RoleCoordinator}
	learners     = []account.Role{account.RolePartner, account.RoleVillager}
	partners     = []account.Role{account.RolePartner}
)

// photoRoutes are the routes that take a product photo, by method and route path: the only
// ones whose body may be larger than the 1 MB of every other form (server.go).
var photoRoutes = map[string]bool{
	http.MethodPost + " /shop/sell/listings":     true,
	http.MethodPost + " /shop/sell/listings/:id": true,
}

// spoolUpload reads a multipart form before anything else does, keeping its files on disk
// rather than in memory (net/http would keep up to 32 MB): uploads waiting their turn to be
// decoded (sandbox.MaxPhotoDecodes) then hold no memory. A form that does not parse is
// left to be refused as any other. The files are removed after the request (net/http would
// not: it only knows the request before ContextTimeout copied it).
func spoolUpload(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := r.ParseMultipartForm(64 << 10); err == nil {
			defer r.MultipartForm.RemoveAll()
		}
		return next(c)
	}
}

// registerRoutes is the route table. Every page and action goes through handle or public,
// which add CSRF checking, the session and the role check; the route-table test fails if a
// route is added to echo any other way.
func (s *Server) registerRoutes() {
	// Infrastructure: no session, no CSRF (GET only).
	s.add(http.MethodGet, "/static/*", s.assets.serve)
	s.add(http.MethodGet, "/healthz", s.healthz)
	s.add(http.MethodGet, "/metrics", s.metricsHandler())
	s.add(http.MethodGet, "/sw.js", s.serviceWorker)
	s.add(http.MethodGet, "/manifest.webmanifest", s.manifest)
	s.routes = append(s.routes,
		Route{Method: http.MethodGet, Path: "/static/*", Public: true},
		Route{Method: http.MethodGet, Path: "/healthz", Public: true},
		Route{Method: http.MethodGet, Path: "/metrics", Public: true},
		Route{Method: http.MethodGet, Path: "/sw.js", Public: true},
		Route{Method: http.MethodGet, Path: "/manifest.webmanifest", Public: true})

	s.public(http.MethodGet, "/login", s.loginShow)
	s.public(http.MethodPost, "/login", s.loginSubmit)
	s.public(http.MethodGet, "/login/pin", s.pinLoginShow)
	s.public(http.MethodPost, "/login/pin", s.pinLoginSubmit)
	s.public(http.MethodPost, "/lang", s.langSwitch)
	s.handle(http.MethodPost, "/logout", s.logout, nil)
	s.handle(http.MethodPost, "/switch-person", s.switchPerson, nil)

	s.handle(http.MethodGet, "/", s.home, nil)
	s.handle(http.MethodGet, "/account", s.accountShow, nil)
	s.handle(http.MethodPost, "/account/password", s.accountPassword, nil)

	s.handle(http.MethodGet, "/courses", s.catalogue, nil)
	s.handle(http.MethodGet, "/courses/:course", s.courseShow, nil)
	s.handle(http.MethodGet, "/courses/:course/offline.json", s.offlinePackShow, nil)
	s.public(http.MethodGet, "/offline", s.offlineShow)
	s.handle(http.MethodGet, "/courses/:course/:lesson", s.lessonShow, nil)
	s.handle(http.MethodPost, "/courses/:course/:lesson/quiz", s.quizSubmit, learners)
	s.handleAudio(http.MethodPost, "/courses/:course/:lesson/audio", s.audioUpload, recorders)
	s.handle(http.MethodGet, "/courses/:course/:lesson/audio/:id", s.audioServe, nil)
	s.handle(http.MethodPost, "/courses/:course/:lesson/audio/:id/delete", s.audioDelete, recorders)
	s.public(http.MethodGet, "/courses/:course/images/*", s.courseImage)
	s.handle(http.MethodGet, "/certificates/:code", s.certificateShow, learners)
	s.public(http.MethodGet, "/verify/:code", s.verify)

	shop := func(method, path string, h echo.HandlerFunc, roles []account.Role) {
		mw := []echo.MiddlewareFunc{s.csrfCheck, s.loadSession, s.require(roles...), s.withShopper}
		if photoRoutes[method+" "+path] {
			// A phone photo plus the form: a little over the photo limit; the sandbox says
			// "too big" with a clear message below it, the server's 413 page above it.
			mw = append([]echo.MiddlewareFunc{middleware.BodyLimit("11M"), spoolUpload}, mw...)
		}
		s.add(method, path, h, mw...)
		s.routes = append(s.routes, Route{Method: method, Path: path, Roles: roles})
	}
	shop(http.MethodGet, "/shop", s.shopHome, learners)
	shop(http.MethodGet, "/shop/search", s.shopSearch, learners)
	shop(http.MethodGet, "/shop/help", s.shopHelp, learners)
	shop(http.MethodGet, "/shop/products/:id", s.shopProduct, learners)
	shop(http.MethodGet, "/shop/products/:id/compare", s.shopProduct, learners)
	shop(http.MethodGet, "/shop/cart", s.shopCart, learners)
	shop(http.MethodPost, "/shop/cart", s.cartAdd, learners)
	shop(http.MethodPost, "/shop/cart/:id", s.cartUpdate, learners)
	shop(http.MethodGet, "/shop/checkout", s.shopCheckoutShow, learners)
	shop(http.MethodPost, "/shop/checkout", s.shopCheckout, learners)
	shop(http.MethodGet, "/shop/orders", s.shopOrders, learners)
	shop(http.MethodGet, "/shop/orders/:id", s.shopOrder, learners)
	shop(http.MethodPost, "/shop/orders/:id/forward", s.shopForward, learners)
	shop(http.MethodPost, "/shop/orders/:id/pickup", s.shopPickup, learners)
	shop(http.MethodPost, "/shop/orders/:id/return", s.shopReturn, learners)
	shop(http.MethodPost, "/shop/orders/:id/review", s.shopReview, learners)
	shop(http.MethodGet, "/shop/wallet", s.shopWallet, learners)
	shop(http.MethodPost, "/shop/wallet/pin", s.shopPIN, learners)
	shop(http.MethodPost, "/shop/reset", s.shopReset, learners)
	shop(http.MethodPost, "/shop/products/:id/scam", s.listingScam, learners)
	shop(http.MethodGet, "/shop/sell", s.sellHome, learners)
	shop(http.MethodPost, "/shop/sell/shop", s.sellOpen, learners)
	shop(http.MethodGet, "/shop/sell/listings/new", s.sellListingNew, learners)
	shop(http.MethodPost, "/shop/sell/listings", s.sellListingSave, learners)
	shop(http.MethodGet, "/shop/sell/listings/:id", s.sellListingEdit, learners)
	shop(http.MethodPost, "/shop/sell/listings/:id", s.sellListingSave, learners)
	shop(http.MethodPost, "/shop/sell/listings/:id/pause", s.sellListingPause, learners)
	shop(http.MethodGet, "/shop/sell/photos/:id", s.sellPhoto, learners)
	shop(http.MethodPost, "/shop/sell/wait", s.sellWait, learners)
	shop(http.MethodGet, "/shop/sell/orders", s.sellOrders, learners)
	shop(http.MethodPost, "/shop/sell/orders/:id", s.sellOrderAct, learners)
	shop(http.MethodGet, "/shop/sell/messages", s.sellMessages, learners)
	shop(http.MethodPost, "/shop/sell/messages/:id", s.sellReply, learners)
	shop(http.MethodGet, "/shop/sell/statement", s.sellStatement, learners)
	shop(http.MethodGet, "/shop/bills", s.bills, learners)
	shop(http.MethodPost, "/shop/bills/lookup", s.billLookup, learners)
	shop(http.MethodPost, "/shop/bills", s.billPay, learners)
	shop(http.MethodGet, "/shop/bills/:id", s.billReceipt, learners)
	shop(http.MethodGet, "/shop/travel", s.travel, learners)
	shop(http.MethodGet, "/shop/travel/trips/:trip", s.travelTrip, learners)
	shop(http.MethodPost, "/shop/travel/tickets", s.travelBook, learners)
	shop(http.MethodGet, "/shop/travel/tickets", s.travelTickets, learners)
	shop(http.MethodPost, "/shop/travel/tickets/:id/refund", s.travelRefund, learners)
	shop(http.MethodGet, "/shop/inbox", s.inbox, learners)
	shop(http.MethodGet, "/shop/inbox/:id", s.inboxMessage, learners)
	shop(http.MethodPost, "/shop/inbox/:id", s.inboxAct, learners)
	shop(http.MethodGet, "/shop/assist", s.shopAssistShow, partners)
	shop(http.MethodPost, "/shop/assist", s.shopAssistStart, partners)
	shop(http.MethodPost, "/shop/assist/end", s.shopAssistEnd, partners)

	s.handle(http.MethodGet, "/partner/villagers", s.villagerList, partners)
	s.handle(http.MethodGet, "/partner/villagers/new", s.villagerNew, partners)
	s.handle(http.MethodGet, "/partner/villagers/:id", s.villagerShow, partners)
	s.handle(http.MethodPost, "/partner/villagers", s.villagerCreate, partners)
	s.handle(http.MethodGet, "/partner/villagers/:id/pin", s.villagerPINShow, partners)
	s.handle(http.MethodPost, "/partner/villagers/:id/pin", s.villagerPINReset, partners)
	s.handle(http.MethodPost, "/partner/assists", s.assistRecord, partners)
	s.handle(http.MethodPost, "/partner/reminders/:id/dismiss", s.reminderDismiss, partners)

	s.handle(http.MethodGet, "/coord", s.coordHome, coordinators)
	s.handle(http.MethodGet, "/coord/matrix", s.coordMatrix, coordinators)
	s.handle(http.MethodGet, "/coord/alerts", s.coordAlerts, coordinators)
	s.handle(http.MethodGet, "/coord/questions", s.coordQuestions, coordinators)
	s.handle(http.MethodGet, "/coord/partners/:id", s.coordPartner, coordinators)
	s.handle(http.MethodGet, "/coord/assignments", s.coordAssignments, coordinators)
	s.handle(http.MethodPost, "/coord/assignments", s.coordAssign, coordinators)
	s.handle(http.MethodPost, "/coord/reminders", s.coordRemind, coordinators)
	s.handle(http.MethodGet, "/coord/export.csv", s.coordExport, coordinators)
	s.handle(http.MethodGet, "/coord/enrol", s.coordEnrolShow, coordinators)
	s.handle(http.MethodGet, "/coord/enrol/template.csv", s.coordEnrolTemplate, coordinators)
	s.handle(http.MethodGet, "/coord/enrol/check", s.coordEnrolCheckAgain, coordinators)
	s.handle(http.MethodPost, "/coord/enrol/check", s.coordEnrolCheck, coordinators)
	s.handle(http.MethodPost, "/coord/enrol", s.coordEnrol, coordinators)

	// Training classes: coordinators and partners run them; learners check in.
	trainers := []account.Role{account.RoleCoordinator, account.RolePartner}
	s.handle(http.MethodGet, "/classes", s.classesList, trainers)
	s.handle(http.MethodGet, "/classes/new", s.classNew, trainers)
	s.handle(http.MethodPost, "/classes", s.classCreate, trainers)
	s.handle(http.MethodGet, "/classes/pack", s.packForm, coordinators)
	s.handle(http.MethodGet, "/classes/pack.zip", s.packDownload, coordinators)
	s.handle(http.MethodGet, "/classes/:id", s.classShow, trainers)
	s.handle(http.MethodGet, "/classes/:id/log", s.classLog, trainers)
	s.handle(http.MethodPost, "/classes/:id/sessions", s.classAddSession, trainers)
	s.handle(http.MethodPost, "/classes/:id/enrol", s.classEnrol, trainers)
	s.handle(http.MethodPost, "/classes/:id/unenrol", s.classUnenrol, trainers)
	s.handle(http.MethodGet, "/classes/:id/sessions/:sid", s.sessionShow, trainers)
	s.handle(http.MethodPost, "/classes/:id/sessions/:sid/hand", s.sessionMark, trainers)
	s.handle(http.MethodGet, "/followups", s.followUps, partners)
	s.handle(http.MethodPost, "/followups", s.followUpRecord, partners)
	s.handle(http.MethodGet, "/attend", s.attendList, learners)
	s.handle(http.MethodGet, "/hours", s.hoursShow, learners)
	s.handle(http.MethodPost, "/classes/:id/exams", s.classExamCreate, trainers)
	s.handle(http.MethodGet, "/classes/:id/exams/:eid", s.classExamShow, trainers)
	s.handle(http.MethodPost, "/classes/:id/exams/:eid/candidate", s.classExamDecide, trainers)
	s.handle(http.MethodGet, "/exams", s.examsList, learners)
	s.handle(http.MethodGet, "/exams/:eid", s.examShow, learners)
	s.handle(http.MethodPost, "/exams/:eid/start", s.examStart, learners)
	s.handle(http.MethodPost, "/exams/:eid/submit", s.examSubmit, learners)
	s.handle(http.MethodPost, "/courses/:course/:lesson/study", s.studyBeat, learners)
	s.handle(http.MethodGet, "/attend/:sid", s.attendShow, learners)
	s.handle(http.MethodPost, "/attend/:sid", s.attendSubmit, learners)

	s.handle(http.MethodGet, "/admin", s.adminHome, admins)
	s.handle(http.MethodGet, "/admin/regions", s.regionList, admins)
	s.handle(http.MethodPost, "/admin/regions", s.regionCreate, admins)
	s.handle(http.MethodGet, "/admin/regions/:id", s.regionEdit, admins)
	s.handle(http.MethodPost, "/admin/regions/:id", s.regionUpdate, admins)
	s.handle(http.MethodGet, "/admin/centres", s.centreList, admins)
	s.handle(http.MethodPost, "/admin/centres", s.centreCreate, admins)
	s.handle(http.MethodGet, "/admin/centres/:id", s.centreEdit, admins)
	s.handle(http.MethodPost, "/admin/centres/:id", s.centreUpdate, admins)
	s.handle(http.MethodGet, "/admin/accounts", s.accountList, admins)
	s.handle(http.MethodGet, "/admin/accounts/new", s.accountNew, admins)
	s.handle(http.MethodPost, "/admin/accounts", s.accountCreate, admins)
	s.handle(http.MethodGet, "/admin/accounts/:id", s.accountEdit, admins)
	s.handle(http.MethodPost, "/admin/accounts/:id", s.accountUpdate, admins)
	s.handle(http.MethodPost, "/admin/accounts/:id/active", s.accountSetActive, admins)
	s.handle(http.MethodPost, "/admin/accounts/:id/sessions/end", s.accountSessionsEnd, admins)

	s.e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
}

// add puts h on the router for method at path, and for a GET also for HEAD: the same
// page without its body (RFC 9110), which Echo does not answer by itself; link checkers
// and some phones ask HEAD first. net/http leaves the body out.
func (s *Server) add(method, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	s.e.Add(method, path, h, mw...)
	if method == http.MethodGet {
		s.e.Add(http.MethodHead, path, h, mw...)
	}
}

// public registers a route anyone may use, with CSRF checks and the session loaded.
func (s *Server) public(method, path string, h echo.HandlerFunc) {
	s.add(method, path, h, s.csrfCheck, s.loadSession)
	s.routes = append(s.routes, Route{Method: method, Path: path, Public: true})
}

// handle registers a route for signed-in people with one of roles (nil: any role).
func (s *Server) handle(method, path string, h echo.HandlerFunc, roles []account.Role) {
	s.add(method, path, h, s.csrfCheck, s.loadSession, s.require(roles...))
	s.routes = append(s.routes, Route{Method: method, Path: path, Roles: roles})
}
