// Integration specs start real servers and processes; their own waits carry tighter limits.
jest.setTimeout(60000);
