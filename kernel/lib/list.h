// An intrusive doubly linked list: the node lives inside the object, so
// inserting never allocates and removal is O(1).
//
//   struct Page { ListNode node; ... };
//   KList(Page, node) free_list;     // = List<Page, offsetof(Page, node)>
#pragma once
#include "lib/types.h"

namespace kern {

struct ListNode {
  ListNode* prev = nullptr;
  ListNode* next = nullptr;
  bool linked() const { return next != nullptr; }
};

template <typename T, usize NodeOffset>
class List {
 public:
  List() { head_.prev = head_.next = &head_; }
  List(const List&) = delete;
  List& operator=(const List&) = delete;

  bool empty() const { return head_.next == &head_; }
  usize size() const { return size_; }

  void push_front(T* obj) { insert_after(&head_, node_of(obj)); }
  void push_back(T* obj) { insert_after(head_.prev, node_of(obj)); }
  // Inserts `obj` before `pos` (pos == nullptr: at the end).
  void insert_before(T* pos, T* obj) {
    insert_after(pos ? node_of(pos)->prev : head_.prev, node_of(obj));
  }
  void remove(T* obj) {
    ListNode* n = node_of(obj);
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    size_--;
  }
  // `in` (not in a list) takes `out`'s place; `out` leaves the list.
  void replace(T* out, T* in) {
    ListNode* o = node_of(out);
    ListNode* n = node_of(in);
    n->prev = o->prev;
    n->next = o->next;
    o->prev->next = n;
    o->next->prev = n;
    o->prev = o->next = nullptr;
  }
  // `out`, the list's only element, is replaced by `in`: what replace
  // does, with the neighbours known to be the head.
  void replace_sole(T* out, T* in) {
    ListNode* o = node_of(out);
    ListNode* n = node_of(in);
    n->prev = n->next = &head_;
    head_.prev = head_.next = n;
    o->prev = o->next = nullptr;
  }
  T* front() const { return empty() ? nullptr : obj_of(head_.next); }
  T* back() const { return empty() ? nullptr : obj_of(head_.prev); }
  T* pop_front() {
    T* o = front();
    if (o) remove(o);
    return o;
  }
  T* next(T* obj) const {
    ListNode* n = node_of(obj)->next;
    return n == &head_ ? nullptr : obj_of(n);
  }
  T* prev(T* obj) const {
    ListNode* n = node_of(obj)->prev;
    return n == &head_ ? nullptr : obj_of(n);
  }

  class Iterator {
   public:
    Iterator(const List* l, ListNode* n) : list_(l), n_(n) {}
    T* operator*() const { return obj_of(n_); }
    Iterator& operator++() {
      n_ = n_->next;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return n_ != o.n_; }

   private:
    const List* list_;
    ListNode* n_;
  };
  // Do not remove the current element while iterating; use next() instead.
  Iterator begin() const { return Iterator(this, head_.next); }
  Iterator end() const { return Iterator(this, const_cast<ListNode*>(&head_)); }

 private:
  static ListNode* node_of(T* obj) {
    return reinterpret_cast<ListNode*>(reinterpret_cast<char*>(obj) + NodeOffset);
  }
  static T* obj_of(ListNode* n) {
    return reinterpret_cast<T*>(reinterpret_cast<char*>(n) - NodeOffset);
  }
  void insert_after(ListNode* pos, ListNode* n) {
    n->prev = pos;
    n->next = pos->next;
    pos->next->prev = n;
    pos->next = n;
    size_++;
  }

  ListNode head_;
  usize size_ = 0;
};

}  // namespace kern

#define KList(T, member) ::kern::List<T, __builtin_offsetof(T, member)>
