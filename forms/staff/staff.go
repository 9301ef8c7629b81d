// Package staff serves back-office staff: sign-in, the inbox of their
// queues' tasks, task, case, search and incident pages (server-rendered,
// GOV.UK style, working without JavaScript), and the staff JSON API for
// other council systems. Staff see the real error of a failed step;
// residents never do. Who may do what is package access's to say.
package staff
