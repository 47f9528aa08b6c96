import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SessionRepository } from './session.repository';
import { UserRepository } from './user.repository';

/** Every query of users and sessions, over the one DataSource; no service or controller holds SQL. */
@Injectable()
export class AuthStore {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;

  constructor(db: DataSource) {
    this.users = new UserRepository(db);
    this.sessions = new SessionRepository(db);
  }
}
