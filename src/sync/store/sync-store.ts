import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClusterRepository } from './cluster.repository';
import { EventRepository } from './event.repository';
import { LeaseRepository } from './lease.repository';
import { LedgerRepository } from './ledger.repository';
import { TaskStateRepository } from './task-state.repository';
import { TaskRepository } from './task.repository';
import { WorkerRepository } from './worker.repository';

/**
 * Every query of the sync side, one repository per table, over the one DataSource. Services take
 * this (or the repositories they need); no service or controller holds SQL or the DataSource.
 */
@Injectable()
export class SyncStore {
  readonly clusters: ClusterRepository;
  readonly tasks: TaskRepository;
  readonly states: TaskStateRepository;
  readonly leases: LeaseRepository;
  readonly workers: WorkerRepository;
  readonly ledger: LedgerRepository;
  readonly events: EventRepository;

  constructor(db: DataSource) {
    this.clusters = new ClusterRepository(db);
    this.tasks = new TaskRepository(db);
    this.states = new TaskStateRepository(db);
    this.leases = new LeaseRepository(db);
    this.workers = new WorkerRepository(db);
    this.ledger = new LedgerRepository(db);
    this.events = new EventRepository(db);
  }
}
