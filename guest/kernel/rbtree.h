/* rbtree.h: include/linux/rbtree.h-alike: red-black trees (left-leaning, recursive) */
#ifndef _RBTREE_H
#define _RBTREE_H

#include "kernel.h"

#define RB_RED		0
#define RB_BLACK	1

struct rb_node {
	struct rb_node	*rb_left;
	struct rb_node	*rb_right;
	unsigned char	rb_color;
};

struct rb_root {
	struct rb_node	*rb_node;
	unsigned long	count;
};

#define RB_ROOT		((struct rb_root) { NULL, 0 })
#define rb_entry(ptr, type, member)	container_of(ptr, type, member)

/* Orders two nodes: negative, zero or positive like memcmp. */
typedef int (*rb_less_cmp_t)(const struct rb_node *a, const struct rb_node *b);
/* Compares a key with a node. */
typedef int (*rb_find_cmp_t)(const void *key, const struct rb_node *node);
typedef void (*rb_visit_t)(struct rb_node *node, void *arg);

void rb_add(struct rb_node *node, struct rb_root *root, rb_less_cmp_t cmp);
struct rb_node *rb_find(const void *key, const struct rb_root *root, rb_find_cmp_t cmp);
void rb_inorder(const struct rb_root *root, rb_visit_t visit, void *arg);
void rb_postorder_destroy(struct rb_root *root, rb_visit_t destroy, void *arg);
int rb_black_height(const struct rb_root *root);
int rb_depth(const struct rb_root *root);

#endif /* _RBTREE_H */
