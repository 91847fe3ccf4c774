/* Does nothing and exits with status 0, silently (spawn/wait loops). */
int main(void) { return 0; }
