/* list.c: lib/list_debug.c-alike: checked, out-of-line list and hlist primitives */
#include "list.h"

static bool __list_add_valid(struct list_head *new, struct list_head *prev,
			     struct list_head *next)
{
	if (unlikely(next->prev != prev)) {
		pr_err("list_add corruption. next->prev should be prev (%px), but was %px. (next=%px).\n",
		       prev, next->prev, next);
		return false;
	}
	if (unlikely(prev->next != next)) {
		pr_err("list_add corruption. prev->next should be next (%px), but was %px. (prev=%px).\n",
		       next, prev->next, prev);
		return false;
	}
	if (unlikely(new == prev || new == next)) {
		pr_err("list_add double add: new=%px, prev=%px, next=%px.\n",
		       new, prev, next);
		return false;
	}
	return true;
}

static bool __list_del_entry_valid(struct list_head *entry)
{
	struct list_head *prev = entry->prev;
	struct list_head *next = entry->next;

	if (unlikely(next == LIST_POISON1)) {
		pr_err("list_del corruption, %px->next is LIST_POISON1\n", entry);
		return false;
	}
	if (unlikely(prev == LIST_POISON2)) {
		pr_err("list_del corruption, %px->prev is LIST_POISON2\n", entry);
		return false;
	}
	if (unlikely(prev->next != entry || next->prev != entry)) {
		pr_err("list_del corruption at %px\n", entry);
		return false;
	}
	return true;
}

static void __list_add(struct list_head *new, struct list_head *prev,
		       struct list_head *next)
{
	if (!__list_add_valid(new, prev, next))
		BUG();
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

void list_add(struct list_head *new, struct list_head *head)
{
	__list_add(new, head, head->next);
}

void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static void __list_del_entry(struct list_head *entry)
{
	if (!__list_del_entry_valid(entry))
		BUG();
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
}

void list_del(struct list_head *entry)
{
	__list_del_entry(entry);
	entry->next = LIST_POISON1;
	entry->prev = LIST_POISON2;
}

void list_del_init(struct list_head *entry)
{
	__list_del_entry(entry);
	INIT_LIST_HEAD(entry);
}

void list_move_tail(struct list_head *entry, struct list_head *head)
{
	__list_del_entry(entry);
	list_add_tail(entry, head);
}

void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	if (first)
		first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

void hlist_del_init(struct hlist_node *n)
{
	struct hlist_node *next = n->next;
	struct hlist_node **pprev = n->pprev;

	if (hlist_unhashed(n))
		return;
	*pprev = next;
	if (next)
		next->pprev = pprev;
	INIT_HLIST_NODE(n);
}
