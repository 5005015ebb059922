/* rbtree.c: lib/rbtree.c-alike: a recursive left-leaning red-black tree (insert, find, walks) */
#include "rbtree.h"

static inline bool is_red(const struct rb_node *node)
{
	return node && node->rb_color == RB_RED;
}

static struct rb_node *rotate_left(struct rb_node *h)
{
	struct rb_node *x = h->rb_right;

	h->rb_right = x->rb_left;
	x->rb_left = h;
	x->rb_color = h->rb_color;
	h->rb_color = RB_RED;
	return x;
}

static struct rb_node *rotate_right(struct rb_node *h)
{
	struct rb_node *x = h->rb_left;

	h->rb_left = x->rb_right;
	x->rb_right = h;
	x->rb_color = h->rb_color;
	h->rb_color = RB_RED;
	return x;
}

static void flip_colors(struct rb_node *h)
{
	h->rb_color = RB_RED;
	h->rb_left->rb_color = RB_BLACK;
	h->rb_right->rb_color = RB_BLACK;
}

static struct rb_node *__rb_insert(struct rb_node *h, struct rb_node *node,
				   rb_less_cmp_t cmp)
{
	if (!h) {
		node->rb_left = NULL;
		node->rb_right = NULL;
		node->rb_color = RB_RED;
		return node;
	}

	/* Equal keys go right, so insertion order is kept among equals. */
	if (cmp(node, h) < 0)
		h->rb_left = __rb_insert(h->rb_left, node, cmp);
	else
		h->rb_right = __rb_insert(h->rb_right, node, cmp);

	if (is_red(h->rb_right) && !is_red(h->rb_left))
		h = rotate_left(h);
	if (is_red(h->rb_left) && is_red(h->rb_left->rb_left))
		h = rotate_right(h);
	if (is_red(h->rb_left) && is_red(h->rb_right))
		flip_colors(h);
	return h;
}

void rb_add(struct rb_node *node, struct rb_root *root, rb_less_cmp_t cmp)
{
	root->rb_node = __rb_insert(root->rb_node, node, cmp);
	root->rb_node->rb_color = RB_BLACK;
	root->count++;
}

struct rb_node *rb_find(const void *key, const struct rb_root *root, rb_find_cmp_t cmp)
{
	struct rb_node *node = root->rb_node;

	while (node) {
		int c = cmp(key, node);

		if (c < 0)
			node = node->rb_left;
		else if (c > 0)
			node = node->rb_right;
		else
			return node;
	}
	return NULL;
}

static void __rb_inorder(struct rb_node *node, rb_visit_t visit, void *arg)
{
	if (!node)
		return;
	__rb_inorder(node->rb_left, visit, arg);
	visit(node, arg);
	__rb_inorder(node->rb_right, visit, arg);
}

void rb_inorder(const struct rb_root *root, rb_visit_t visit, void *arg)
{
	__rb_inorder(root->rb_node, visit, arg);
}

static void __rb_postorder(struct rb_node *node, rb_visit_t destroy, void *arg)
{
	if (!node)
		return;
	__rb_postorder(node->rb_left, destroy, arg);
	__rb_postorder(node->rb_right, destroy, arg);
	destroy(node, arg);
}

/* Visit every node children-first, so `destroy` may free it; empties the tree. */
void rb_postorder_destroy(struct rb_root *root, rb_visit_t destroy, void *arg)
{
	__rb_postorder(root->rb_node, destroy, arg);
	root->rb_node = NULL;
	root->count = 0;
}

/* Black height of a subtree, or -1 if the red-black rules are broken in it. */
static int __rb_black_height(const struct rb_node *node)
{
	int lh, rh;

	if (!node)
		return 1;
	if (is_red(node) && (is_red(node->rb_left) || is_red(node->rb_right)))
		return -1;
	if (is_red(node->rb_right))
		return -1;	/* left-leaning: red links lean left */
	lh = __rb_black_height(node->rb_left);
	rh = __rb_black_height(node->rb_right);
	if (lh < 0 || rh < 0 || lh != rh)
		return -1;
	return lh + (node->rb_color == RB_BLACK);
}

int rb_black_height(const struct rb_root *root)
{
	return __rb_black_height(root->rb_node);
}

static int __rb_depth(const struct rb_node *node)
{
	int l, r;

	if (!node)
		return 0;
	l = __rb_depth(node->rb_left);
	r = __rb_depth(node->rb_right);
	return 1 + max(l, r);
}

int rb_depth(const struct rb_root *root)
{
	return __rb_depth(root->rb_node);
}
